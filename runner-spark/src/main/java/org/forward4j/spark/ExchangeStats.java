package org.forward4j.spark;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What crossed the driver/executor boundary, per training step: jobs, tasks, serialised task messages (down),
 * serialised answers (up), broadcast bytes executors fetched (parameters, bases) and time. The numbers the README's
 * measurements report, and what the tests check (constant in the model size for seed replay, linear for reduction).
 */
final class ExchangeStats {

    /**
     * One step's totals.
     *
     * @param jobs Spark jobs
     * @param tasks tasks
     * @param down bytes of task messages
     * @param up bytes of answers
     * @param fetched bytes of broadcasts fetched by executors
     * @param nanos wall time of the jobs on the driver
     * @param taskNanos time spent inside tasks, summed
     */
    record Step(int jobs, int tasks, long down, long up, long fetched, long nanos, long taskNanos) {

        /**
         * Everything that crossed the boundary.
         *
         * @return down + up + fetched
         */
        long bytes() {
            return down + up + fetched;
        }

        Step plus(int j, int t, long d, long u, long f, long n, long tn) {
            return new Step(jobs + j, tasks + t, down + d, up + u, fetched + f, nanos + n, taskNanos + tn);
        }
    }

    private final Map<Long, Step> steps = new TreeMap<>();

    synchronized void job(long step, int tasks, long down, long up, long fetched, long nanos, long taskNanos) {
        steps.merge(step, new Step(1, tasks, down, up, fetched, nanos, taskNanos),
                (a, b) -> a.plus(b.jobs(), b.tasks(), b.down(), b.up(), b.fetched(), b.nanos(), b.taskNanos()));
    }

    /**
     * Per-step totals so far.
     *
     * @return step -> totals (a copy)
     */
    synchronized Map<Long, Step> steps() {
        return new TreeMap<>(steps);
    }

    /**
     * One line for logs: steps, mean bytes and jobs per step.
     *
     * @return the summary
     */
    synchronized String summary() {
        if (steps.isEmpty()) {
            return "no exchanges";
        }
        long bytes = 0;
        long jobs = 0;
        long nanos = 0;
        for (Step s : steps.values()) {
            bytes += s.bytes();
            jobs += s.jobs();
            nanos += s.nanos();
        }
        int n = steps.size();
        return String.format(Locale.ROOT, "%d steps, %.1f jobs/step, %,.0f bytes/step exchanged, %.1f ms/step in jobs",
                n, jobs / (double) n, bytes / (double) n, nanos / 1e6 / n);
    }
}
