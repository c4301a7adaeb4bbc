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
     * One line for logs: the steady state (every step but the first, which starts the executors and ships the
     * base) per step, and the first step's bytes.
     *
     * @return the summary
     */
    synchronized String summary() {
        if (steps.isEmpty()) {
            return "no exchanges";
        }
        long first = steps.keySet().iterator().next();
        Step start = steps.get(first);
        long n = 0;
        long jobs = 0;
        long tasks = 0;
        long down = 0;
        long up = 0;
        long fetched = 0;
        long nanos = 0;
        long taskNanos = 0;
        for (Map.Entry<Long, Step> e : steps.entrySet()) {
            if (e.getKey() == first) {
                continue;
            }
            Step s = e.getValue();
            n++;
            jobs += s.jobs();
            tasks += s.tasks();
            down += s.down();
            up += s.up();
            fetched += s.fetched();
            nanos += s.nanos();
            taskNanos += s.taskNanos();
        }
        if (n == 0) {
            return String.format(Locale.ROOT, "1 step, %,d bytes exchanged", start.bytes());
        }
        return String.format(Locale.ROOT, "%d steps after the first: %.2f jobs/step, %.1f ms/job on the driver, "
                + "%.1f ms/task inside tasks, per step %,.0f bytes down (tasks) + %,.0f up (answers) + %,.0f fetched "
                + "(broadcasts) = %,.0f bytes; first step %,d bytes", n, jobs / (double) n, nanos / 1e6 / jobs,
                taskNanos / 1e6 / tasks, down / (double) n, up / (double) n, fetched / (double) n,
                (down + up + fetched) / (double) n, start.bytes());
    }
}
