package org.forward4j.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.broadcast.Broadcast;

/**
 * What travels between the driver and the executors. Everything here is a handful of scalars per step except
 * where marked: the data set never travels (each executor loads it once from the dataset spec), the parameters
 * travel at the start and when an executor must rebuild its replica ({@link Base}, a broadcast that only such an
 * executor fetches), and, for estimators that cannot be replayed, once per step ({@link ParamSync}).
 */
final class Messages {

    private Messages() {
    }

    /**
     * Once per run (a broadcast): everything an executor needs to build its runtime, the same settings the driver
     * resolved, so that it loads the same data, model and backend.
     *
     * @param runId the run's identity (executor state is kept per run)
     * @param config the resolved {@code forward4j.*} settings
     */
    record Setup(String runId, Map<String, String> config) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Parameters and optimiser state at a step: where a replica starts (at the start of the run, after a resume,
     * and every {@code rebase-every} steps, so that a rebuild replays few steps). Broadcast lazily: an executor
     * fetches it only to (re)build its replica.
     *
     * @param step the step these parameters are the input of
     * @param params the parameters
     * @param optimizerState the optimiser's state ({@code Optimizers.Optimizer#state()})
     */
    record Base(long step, float[] params, float[] optimizerState) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * One committed (or skipped) step's update as scalars: the optimiser step with the gradient rebuilt from its
     * direction terms ({@code DirectionTerms}).
     *
     * @param step the step
     * @param epoch its epoch (for the learning-rate schedule)
     * @param seed the noise key
     * @param distribution the directions' distribution ({@code NoiseStream.Distribution} ordinal)
     * @param directions direction numbers in the order they were added
     * @param weights their weights
     * @param skipped true when the trainer dropped the step (non-finite): nothing to apply
     */
    record Update(long step, int epoch, long seed, int distribution, int[] directions, float[] weights,
                  boolean skipped) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** How a task gets the parameters of its step. */
    sealed interface Sync extends Serializable permits ReplaySync, ParamSync {
        /**
         * The step the task evaluates.
         *
         * @return the step
         */
        long step();
    }

    /**
     * Seed replay: bring the executor's replica to {@code step} by applying {@code updates} (normally the previous
     * step's only); if they do not reach back to the replica, or there is none, and {@code full} is set, rebuild
     * from {@code base} and replay every update since it; otherwise answer stale.
     *
     * @param generation changes when the driver's trajectory jumps (a resume): replicas of another generation are
     *     rebuilt
     * @param step the step to evaluate
     * @param base the latest base (a handle; fetched only when rebuilding)
     * @param baseStep its step
     * @param updates consecutive updates ending at {@code step - 1}
     * @param full whether {@code updates} starts at {@code baseStep}
     * @param expectedHash the hash of the driver's parameters at {@code step}
     */
    record ReplaySync(int generation, long step, Broadcast<Base> base, long baseStep, List<Update> updates,
                      boolean full, long expectedHash) implements Sync {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Parameter broadcast: the step's parameters (d floats, fetched once per executor and step).
     *
     * @param step the step
     * @param params the parameters
     * @param hash their hash
     */
    record ParamSync(long step, Broadcast<float[]> params, long hash) implements Sync {
        private static final long serialVersionUID = 1L;
    }

    /** The work of one task. */
    sealed interface Work extends Serializable permits WeightWork, ActivationWork, AccumulateWork {
    }

    /**
     * Weight-perturbation queries: a contiguous run of the plan's queries, whole (a query's rows stay in one GEMM,
     * as on one machine, so every loss has the same bits).
     *
     * @param seed the noise key
     * @param distribution the distribution ordinal
     * @param directions direction of each query
     * @param scales scale of each query
     * @param rows data rows of each query
     */
    record WeightWork(long seed, int distribution, int[] directions, float[] scales, int[][] rows) implements Work {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Activation-noise queries: whole chunks of the plan as the local backend would cut it (so every loss has the same
     * bits), each evaluated and kept on the executor under {@code (passId, chunk)} until its gradient is asked for.
     *
     * @param passId the pass on the driver
     * @param seed the noise key
     * @param sigma the noise scale
     * @param firstChunk the plan index of the first chunk here
     * @param chunks the chunks: rows, streams and signs of each
     * @param energy whether to return noise energies
     */
    record ActivationWork(long passId, long seed, float sigma, int firstChunk, List<Chunk> chunks,
                          boolean energy) implements Work {
        private static final long serialVersionUID = 1L;
    }

    /**
     * One chunk of an activation plan.
     *
     * @param rows data rows
     * @param streams noise streams
     * @param negate signs
     */
    record Chunk(int[] rows, int[] streams, boolean[] negate) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Gradient reduction: each chunk's likelihood-ratio terms under the driver's row weights (O(d) floats back per
     * chunk). {@code redo} re-evaluates the chunks where the pass is gone (a lost executor, or the task placed
     * elsewhere).
     *
     * @param redo the evaluation that made the pass
     * @param weights the row weights of each chunk
     */
    record AccumulateWork(ActivationWork redo, List<double[]> weights) implements Work {
        private static final long serialVersionUID = 1L;
    }

    /**
     * One task's message.
     *
     * @param slot the task's index in its job
     * @param setup the run's setup broadcast
     * @param sync how to get the step's parameters
     * @param work what to evaluate
     */
    record Task(int slot, Broadcast<Setup> setup, Sync sync, Work work) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * One task's answer.
     *
     * @param slot the task's index in its job
     * @param location where it ran ({@code executor_<host>_<id>}, Spark's task-location form)
     * @param blockManager that executor's block manager {@code host:port} (how the driver sees it alive)
     * @param stale true when the replica could not be brought to the step from what the task carried
     * @param replicaStep the replica's step after the task (-1 without one)
     * @param hash the hash of the parameters the task evaluated with
     * @param losses losses per query (weight work) or per chunk row (activation work)
     * @param energies noise energies per chunk (activation work, when asked)
     * @param gradients each chunk's gradient terms (accumulate work; d floats each)
     * @param fetchedBytes bytes of broadcasts this executor fetched for the task (base, parameters); 0 normally
     * @param replayed updates this task applied to the replica
     * @param nanos time spent in the task
     */
    record Result(int slot, String location, String blockManager, boolean stale, long replicaStep, long hash, double[][] losses,
                  double[][] energies, float[][] gradients, long fetchedBytes, int replayed, long nanos)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }
}
