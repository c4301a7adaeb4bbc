package org.forward4j.core.backend;

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
            try {
                out.add(f.get());
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
        return out;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
