package org.forward4j.estimator.weights;

import java.util.Objects;
import java.util.function.Function;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;

/**
 * A weight-perturbation estimator: stateless between steps, its cost fixed, its per-point independence given by
 * how it numbers directions, each step a {@link WeightPerturbationStep}. {@code spsa} and {@code rge} are this class
 * with their own steps; {@link WeightPerturbationEstimatorProvider#create} builds one.
 */
public final class WeightPerturbationEstimator implements GradientEstimator {

    private final EstimatorCost cost;
    private final DirectionMode directions;
    private final Function<StepContext, EstimationStep> steps;
    private final String description;

    /**
     * Creates the estimator.
     *
     * @param cost queries per draw and per point
     * @param directions how draws are numbered (decides {@link #independentPerPoint()})
     * @param steps starts the step of a mini-batch
     * @param description what {@link #toString()} shows, with the settings
     */
    public WeightPerturbationEstimator(EstimatorCost cost, DirectionMode directions,
                                       Function<StepContext, EstimationStep> steps, String description) {
        this.cost = Objects.requireNonNull(cost, "cost");
        this.directions = Objects.requireNonNull(directions, "directions");
        this.steps = Objects.requireNonNull(steps, "steps");
        this.description = Objects.requireNonNull(description, "description");
    }

    @Override
    public EstimatorCost cost() {
        return cost;
    }

    @Override
    public boolean independentPerPoint() {
        return directions.independentPerPoint();
    }

    @Override
    public EstimationStep begin(StepContext context) {
        return steps.apply(context);
    }

    @Override
    public String toString() {
        return description;
    }
}
