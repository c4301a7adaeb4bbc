package org.forward4j.backprop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.forward4j.estimator.DenseNetwork;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * One backprop step per call on an {@link MlpGraph} or a {@link LayerGraphSd}: one forward and one backward pass of
 * SameDiff give the batch loss and the exact gradient together, then the ND4J updater moves each variable, as SameDiff's own
 * {@code fit} does (its training session applies {@code GradientUpdater.applyUpdater(gradient, iteration, epoch)}
 * per variable and subtracts the result; tests check the parameters match {@code fit}'s exactly). A layer graph's
 * frozen tensors are constants, not variables, so they get no updater and never move.
 *
 * <p>Why not {@code fit} itself: in ND4J 1.0.0-M2.1 its training session runs only what the gradients need, and
 * the backward op of softmax cross-entropy needs the logits and labels but not the loss value, so {@code fit}
 * never computes the loss and reports 0 (also to listeners that ask for it). Asking for the loss beside the
 * gradients costs one reduction, where a separate forward pass for the training loss would cost a third of a
 * step.
 */
final class GraphTrainer {

    private final SameDiff sd;
    private final String[] names;
    private final Map<String, GradientUpdater<?>> updaters = new LinkedHashMap<>();
    private int iteration;

    /**
     * Prepares the updaters, with fresh state, for every variable of the graph.
     *
     * @param sd a graph from {@link MlpGraph#build}
     * @param network its architecture
     * @param updater the optimiser's configuration (one instance per variable is made from it)
     */
    GraphTrainer(SameDiff sd, DenseNetwork network, IUpdater updater) {
        this(sd, mlpVariables(network), updater);
    }

    /**
     * Prepares the updaters, with fresh state, for the given variables (the ones that train; a layer graph's frozen
     * tensors are constants and have none).
     *
     * @param sd a graph whose loss variable is {@link MlpGraph#LOSS}
     * @param variables the variables the optimiser moves
     * @param updater the optimiser's configuration (one instance per variable is made from it)
     */
    GraphTrainer(SameDiff sd, List<String> variables, IUpdater updater) {
        this.sd = sd;
        this.names = variables.toArray(new String[0]);
        for (String name : names) {
            long n = sd.getArrForVarName(name).length();
            long size = updater.stateSize(n);
            INDArray state = size == 0 ? null : Nd4j.zeros(DataType.FLOAT, 1, size);
            updaters.put(name, updater.instantiate(state, true));
        }
    }

    private static List<String> mlpVariables(DenseNetwork network) {
        List<String> vars = new ArrayList<>();
        for (int l = 0; l < network.layers(); l++) {
            vars.add(MlpGraph.weight(l));
            vars.add(MlpGraph.bias(l));
        }
        return vars;
    }

    /**
     * One optimisation step on a batch.
     *
     * @param batch placeholders from {@link MlpGraph#batch}
     * @param epoch the current epoch (0-based, for learning-rate schedules)
     * @return the batch-mean loss before the update
     */
    double step(Map<String, INDArray> batch, int epoch) {
        OutAndGrad r = sd.calculateGradientsAndOutputs(batch, List.of(MlpGraph.LOSS), List.of(names));
        double loss = r.getOutputs().get(MlpGraph.LOSS).getDouble(0);
        Map<String, INDArray> grads = r.getGradients();
        for (String name : names) {
            INDArray param = sd.getArrForVarName(name);
            // the updater's state is a row vector, as in forward4j's optimiser over the flat parameter vector
            INDArray g = grads.get(name).reshape('c', 1, param.length());
            updaters.get(name).applyUpdater(g, iteration, epoch);
            param.subi(g.reshape('c', param.shape()));
        }
        // the step's outputs belong to the caller; freeing their native buffers now, rather than when the garbage
        // collector finds their Java wrappers, keeps the resident memory at what a step needs
        for (INDArray a : grads.values()) {
            a.close();
        }
        r.getOutputs().get(MlpGraph.LOSS).close();
        iteration++;
        return loss;
    }

    /**
     * Steps done.
     *
     * @return the iteration counter
     */
    int iterations() {
        return iteration;
    }
}
