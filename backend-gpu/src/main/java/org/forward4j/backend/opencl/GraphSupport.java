package org.forward4j.backend.opencl;

import java.util.List;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * What the {@code opencl} backend does with a {@link GraphObjective}: its kernels run dense networks (linear layers on
 * vectors with ReLU or tanh between) with every parameter trained, so a graph that is such an MLP in
 * {@link LayerGraph#mlp}'s form, everything trainable, runs as that network (same parameter layout, same noise
 * streams: site l is layer l); any other graph is refused up front, when its evaluator is asked for, with the first
 * layer the kernels do not cover named, rather than failing (or crawling on the host) in the middle of training.
 */
final class GraphSupport {

    private GraphSupport() {
    }

    /**
     * The network a graph objective runs as on this backend.
     *
     * @param objective the graph objective
     * @return the same model and data as a network objective (θ = every parameter, in the same layout)
     * @throws UnsupportedCapabilityException naming the first layer the kernels cannot run, or the frozen tensors
     *     when the graph is an MLP with a trainable selection other than all
     */
    static NetworkObjective asNetwork(GraphObjective objective) {
        LayerGraph graph = objective.graph();
        for (Block block : graph.blocks()) {
            Layer uncovered = firstUncovered(block.layers());
            if (uncovered != null) {
                throw new UnsupportedCapabilityException("The opencl backend runs MLPs only; " + uncovered.describe()
                        + " in block '" + block.name() + "' is not covered; use backend=cpu");
            }
        }
        DenseNetwork network = graph.asDenseNetwork().orElseThrow(() -> new UnsupportedCapabilityException(
                "The opencl backend runs MLPs only; " + graph + " has only linear layers and ReLU or tanh, but not in "
                        + "the MLP form its kernels take (one linear layer named layers.<block> per block, the same "
                        + "activation after each but the last); use backend=cpu"));
        if (objective.dimension() != graph.parameterCount()) {
            List<String> frozen = graph.tensors().stream().map(LayerGraph.Tensor::name)
                    .filter(t -> !objective.isTrainable(t)).toList();
            throw new UnsupportedCapabilityException("The opencl backend trains every parameter of an MLP, but "
                    + frozen.size() + " tensors are frozen (" + String.join(", ", frozen.subList(0,
                    Math.min(4, frozen.size()))) + (frozen.size() > 4 ? ", ..." : "") + "); use trainable=all or "
                    + "backend=cpu");
        }
        return Networks.objective(network, objective.features(), objective.labels());
    }

    /** The first layer the MLP kernels do not cover: anything but a linear layer or a ReLU or tanh. */
    private static Layer firstUncovered(List<Layer> layers) {
        for (Layer l : layers) {
            boolean covered = l instanceof Layer.Linear
                    || l instanceof Layer.Act a && (a.fn() == Layer.Act.Fn.RELU || a.fn() == Layer.Act.Fn.TANH);
            if (!covered) {
                return l;
            }
        }
        return null;
    }

    /**
     * A network evaluator presented as the graph objective's: every plan and result is the network's (θ has the
     * same layout), only {@code objective()} answers the graph, as callers expect of {@code evaluator(o)}.
     *
     * @param graph the graph objective
     * @param network the evaluator of {@link #asNetwork}'s network
     * @return the evaluator to hand out for the graph
     */
    static QueryEvaluator evaluator(GraphObjective graph, QueryEvaluator network) {
        return new QueryEvaluator() {
            @Override
            public Objective objective() {
                return graph;
            }

            @Override
            public double[][] evaluate(float[] theta, WeightPlan plan) {
                return network.evaluate(theta, plan);
            }

            @Override
            public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
                return network.evaluate(theta, plan);
            }

            @Override
            public EvaluationMetrics evaluateClean(float[] theta) {
                return network.evaluateClean(theta);
            }
        };
    }
}
