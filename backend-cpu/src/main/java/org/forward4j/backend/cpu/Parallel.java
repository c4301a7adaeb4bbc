package org.forward4j.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.forward4j.plugin.Forward4jException;

/**
 * Deterministic parallelism: work is split into tasks whose boundaries never depend on the thread count (fixed row
 * chunks, one task per direction), each task runs single-threaded BLAS, and results are combined in task order.
 * So the same seed gives bit-identical results with 1 or 16 threads, which multi-threaded BLAS does not (its
 * results change with the thread count).
 */
final class Parallel implements AutoCloseable {

    private final ExecutorService pool;
    private final int threads;

    Parallel(int threads) {
        this.threads = threads;
        this.pool = threads <= 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "forward4j-cpu");
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code count} tasks and returns their results in task order.
     *
     * @param count number of tasks
     * @param task computes the result of task i
     * @param <T> the result type
     * @return results, index i from task i
     */
    <T> List<T> map(int count, IntFunction<T> task) {
        List<T> out = new ArrayList<>(count);
        if (pool == null || count <= 1) {
            for (int i = 0; i < count; i++) {
                out.add(task.apply(i));
            }
            return out;
        }
        List<Future<T>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final int index = i;
            futures.add(pool.submit(() -> task.apply(index)));
        }
        for (Future<T> f : futures) {
            out.add(result(f));
        }
        return out;
    }

    /**
     * Tasks that may run ahead of the one being committed: enough to keep every thread busy while the calling
     * thread commits, few enough that memory is that of a handful of tasks.
     *
     * @return {@code 2 * threads}
     */
    int window() {
        return 2 * threads;
    }

    /**
     * Runs {@code count} tasks in parallel and hands their results to {@code commit} on the calling thread in task
     * order, each as soon as it and all before it are done. At most {@link #window()} results exist at once, so a
     * long run of tasks (row chunks of a large plan) needs the memory of a few, and the committed sum has the same
     * bits for any thread count.
     *
     * @param count number of tasks
     * @param task computes the result of task i
     * @param commit consumes results in order 0, 1, ...
     * @param <T> the result type
     */
    <T> void ordered(int count, IntFunction<T> task, java.util.function.Consumer<T> commit) {
        ordered(count, window(), task, commit);
    }

    /**
     * {@link #ordered(int, IntFunction, java.util.function.Consumer)} with an explicit bound on the results alive at
     * once (running, finished or being committed): a task is submitted only when fewer than {@code window} are.
     *
     * @param count number of tasks
     * @param window at most this many results exist at once, at least 1
     * @param task computes the result of task i
     * @param commit consumes results in order 0, 1, ...
     * @param <T> the result type
     */
    <T> void ordered(int count, int window, IntFunction<T> task, java.util.function.Consumer<T> commit) {
        if (pool == null || count <= 1) {
            for (int i = 0; i < count; i++) {
                commit.accept(task.apply(i));
            }
            return;
        }
        java.util.ArrayDeque<Future<T>> inFlight = new java.util.ArrayDeque<>();
        int next = 0;
        try {
            for (int i = 0; i < count; i++) {
                while (next < count && inFlight.size() < Math.max(1, window)) {
                    final int index = next++;
                    inFlight.add(pool.submit(() -> task.apply(index)));
                }
                // the polled result is alive until committed: the next task is submitted only after that
                commit.accept(result(inFlight.peek()));
                inFlight.poll();
            }
        } finally {
            for (Future<T> f : inFlight) {
                f.cancel(true);
            }
        }
    }

    private static <T> T result(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Forward4jException("Interrupted while evaluating queries", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new Forward4jException("Query evaluation failed: " + c, c);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
