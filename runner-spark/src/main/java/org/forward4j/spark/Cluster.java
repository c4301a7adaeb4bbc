package org.forward4j.spark;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.forward4j.plugin.InvalidConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The driver's handle on the cluster: checks it before training, runs one Spark job per exchange (tasks pinned to
 * the executor that ran the same slot before, so replicas and kept passes are found where they are), and counts
 * what crosses the boundary.
 */
final class Cluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    private static final ClassTag<Messages.Task> TASK = ClassTag$.MODULE$.apply(Messages.Task.class);

    private final JavaSparkContext jsc;
    private final boolean owned;
    private final int partitions;
    private final int cores;
    private final Map<Integer, String[]> slotLocation = new HashMap<>();
    final ExchangeStats stats = new ExchangeStats();

    private Cluster(JavaSparkContext jsc, boolean owned, int partitions, int cores) {
        this.jsc = jsc;
        this.owned = owned;
        this.partitions = partitions;
        this.cores = cores;
    }

    /**
     * Starts a Spark context from the {@code spark.*} configuration {@code spark-submit} set (or
     * {@code forward4j.runner.master}) and checks the cluster.
     *
     * @param s the runner settings
     * @return the cluster
     * @throws InvalidConfigurationException when no master is configured or the cluster is too small
     */
    static Cluster start(RunnerSettings s) {
        SparkConf conf = new SparkConf();
        if (s.master() != null) {
            conf.setMaster(s.master());
        }
        if (!conf.contains("spark.master")) {
            throw new InvalidConfigurationException("runner=spark has no Spark master: submit with spark-submit "
                    + "--master spark://<host>:7077 (or local[N]), or set forward4j.runner.master");
        }
        conf.setIfMissing("spark.app.name", "forward4j train");
        // a step's tasks prefer the executors that hold their replica; when one is busy, waiting for it (Spark's
        // default 3 s locality wait) costs more than the replica catch-up another executor does
        conf.setIfMissing("spark.locality.wait", "0");
        JavaSparkContext jsc = new JavaSparkContext(conf);
        try {
            return attach(jsc, true, s);
        } catch (RuntimeException e) {
            jsc.stop();
            throw e;
        }
    }

    /**
     * Uses a running Spark context (embedding, tests); it is not stopped on {@link #close()}.
     *
     * @param jsc the context
     * @param s the runner settings
     * @return the cluster
     */
    static Cluster attach(JavaSparkContext jsc, RunnerSettings s) {
        return attach(jsc, false, s);
    }

    private static Cluster attach(JavaSparkContext jsc, boolean owned, RunnerSettings s) {
        boolean local = jsc.sc().isLocal();
        if (!local) {
            int want = Math.max(1, s.executors());
            long deadline = System.nanoTime() + s.registerSeconds() * 1_000_000_000L;
            int have = executors(jsc);
            while (have < want && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                have = executors(jsc);
            }
            if (have < want) {
                throw new InvalidConfigurationException("runner=spark: only " + have + " executor(s) registered with "
                        + jsc.master() + " within " + s.registerSeconds() + " s, but " + want + " are needed "
                        + "(forward4j.runner.executors); start more workers, check that they reach the master, or "
                        + "lower forward4j.runner.executors");
            }
        }
        int cores = cores(jsc);
        int partitions = s.partitions() == 0 ? cores : s.partitions();
        if (partitions > cores) {
            throw new InvalidConfigurationException("runner=spark: forward4j.runner.partitions=" + partitions
                    + " but the cluster has " + cores + " executor cores (" + jsc.master() + "): the tasks of a step "
                    + "would wait for each other; lower forward4j.runner.partitions to at most " + cores
                    + " or add cores");
        }
        LOG.info("runner spark: master {}, {} executor cores, {} tasks per exchange", jsc.master(), cores, partitions);
        return new Cluster(jsc, owned, partitions, cores);
    }

    /**
     * The executor cores of the cluster: the scheduler's count of registered cores on a cluster (Spark's default
     * parallelism would say at least 2), the threads in local mode.
     */
    private static int cores(JavaSparkContext jsc) {
        if (jsc.sc().schedulerBackend() instanceof org.apache.spark.scheduler.cluster.CoarseGrainedSchedulerBackend b) {
            return Math.max(1, b.totalCoreCount().get());
        }
        return jsc.sc().defaultParallelism();
    }

    private static int executors(JavaSparkContext jsc) {
        return Math.max(0, jsc.sc().statusTracker().getExecutorInfos().length - 1); // minus the driver
    }

    /**
     * Tasks per job.
     *
     * @return partitions
     */
    int partitions() {
        return partitions;
    }

    /**
     * Executor cores seen at the start.
     *
     * @return cores
     */
    int cores() {
        return cores;
    }

    /**
     * Whether the executors run inside this JVM ({@code local[N]}).
     *
     * @return true in local mode
     */
    boolean local() {
        return jsc.sc().isLocal();
    }

    /**
     * The master URL.
     *
     * @return it
     */
    String master() {
        return jsc.master();
    }

    /**
     * Broadcasts a value (fetched by an executor on first use only).
     *
     * @param value the value
     * @param <T> its type
     * @return the handle
     */
    <T> Broadcast<T> broadcast(T value) {
        return jsc.broadcast(value);
    }

    /**
     * Runs one job: one task per message, each preferring the executor that ran its slot last, and returns the
     * answers in slot order. Counts the serialised messages and answers and the broadcast bytes executors fetched.
     *
     * @param step the training step (for the statistics)
     * @param tasks the messages, slots {@code 0..n-1}
     * @return the answers, by slot
     */
    List<Messages.Result> run(long step, List<Messages.Task> tasks) {
        long t0 = System.nanoTime();
        List<Tuple2<Messages.Task, scala.collection.immutable.Seq<String>>> items = new ArrayList<>();
        long down = 0;
        // a slot prefers the executor that ran it last if that one is alive and no earlier slot prefers it; other
        // slots prefer nothing and go to whichever executor is free (a replacement executor included)
        java.util.Set<String> alive = CollectionConverters.asJava(jsc.sc().getExecutorMemoryStatus()).keySet();
        java.util.Set<String> claimed = new java.util.HashSet<>();
        for (Messages.Task t : tasks) {
            String[] where = slotLocation.get(t.slot());
            boolean keep = where != null && alive.contains(where[1]) && claimed.add(where[0]);
            List<String> prefer = keep ? List.of(where[0]) : List.of();
            items.add(new Tuple2<>(t, CollectionConverters.asScala(prefer).toList()));
            down += serializedSize(t);
        }
        RDD<Messages.Task> rdd = jsc.sc().makeRDD(CollectionConverters.asScala(items).toList(), TASK);
        List<Messages.Result> results = new ArrayList<>(new JavaRDD<>(rdd, TASK).map(ExecutorRuntime::run).collect());
        results.sort(java.util.Comparator.comparingInt(Messages.Result::slot));
        long up = 0;
        long fetched = 0;
        long taskNanos = 0;
        for (Messages.Result r : results) {
            up += serializedSize(r);
            fetched += r.fetchedBytes();
            taskNanos += r.nanos();
            if (!r.location().isEmpty()) {
                slotLocation.put(r.slot(), new String[] {r.location(), r.blockManager()});
            }
        }
        stats.job(step, tasks.size(), down, up, fetched, System.nanoTime() - t0, taskNanos);
        return results;
    }

    /** The Java-serialised size of an object: what Spark's task and result serialiser writes for it. */
    static long serializedSize(Serializable o) {
        long[] n = {0};
        try (ObjectOutputStream out = new ObjectOutputStream(new OutputStream() {
            @Override
            public void write(int b) {
                n[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                n[0] += len;
            }
        })) {
            out.writeObject(o);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return n[0];
    }

    /** Stops the Spark context when this runner started it. */
    @Override
    public void close() {
        if (owned) {
            jsc.stop();
        }
    }
}
