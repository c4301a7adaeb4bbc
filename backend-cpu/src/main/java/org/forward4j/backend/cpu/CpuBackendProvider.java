package org.forward4j.backend.cpu;

import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendCapability;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code cpu}: the ND4J reference backend. Network plans run as batched GEMMs (OpenBLAS), layer graphs
 * ({@link GraphObjective}: convolutions, layer norm, attention, ...) batched layer by layer, black-box objectives
 * are called directly. Settings: {@code chunk-rows} (default 256) is the fixed row chunk of every GEMM (it bounds
 * memory and defines the parallel tasks); {@code threads} (default: the number of cores) is the number of worker
 * threads; {@code prefix-cache-mb} (default 512, and at most a quarter of the JVM's maximum heap) is the heap a
 * graph evaluator may spend keeping its frozen prefix's output per data row, so the frozen blocks run once per row
 * rather than once per step (0 recomputes them once per plan; results are the same either way). Results do not
 * depend on {@code threads}.
 */
public final class CpuBackendProvider implements BackendProvider {

    /** Creates the provider; ServiceLoader needs this constructor. */
    public CpuBackendProvider() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "ND4J on the CPU (the reference backend)";
    }

    @Override
    public java.util.Set<BackendCapability> capabilities() {
        return java.util.Set.of(BackendCapability.BLACK_BOX, BackendCapability.ACTIVATION_NOISE);
    }

    @Override
    public Availability availability() {
        return new Availability(true, false, "ND4J native CPU backend, " + Runtime.getRuntime().availableProcessors()
                + " cores");
    }

    /** The default byte budget of a graph evaluator's frozen-prefix cache, before the heap cap. */
    static final int DEFAULT_PREFIX_CACHE_MB = 512;

    /** The validated settings. */
    private record Options(int chunk, int threads, long prefixCacheBytes) {
    }

    private static Options options(Settings settings) {
        Settings.Reader r = settings.reader("backend 'cpu'");
        int chunk = r.intValue("chunk-rows", 256, 1, 1 << 20);
        int threads = r.intValue("threads", Runtime.getRuntime().availableProcessors(), 1, 4096);
        // the default must not crowd out the rest of a small heap; an explicit value is taken as given
        long heapQuarterMb = Runtime.getRuntime().maxMemory() / 4 / (1 << 20);
        int cacheMb = r.intValue("prefix-cache-mb", (int) Math.min(DEFAULT_PREFIX_CACHE_MB, heapQuarterMb), 0,
                1 << 20);
        r.finish();
        return new Options(chunk, threads, (long) cacheMb << 20);
    }

    @Override
    public void validate(Settings settings) {
        options(settings);
    }

    @Override
    public Backend create(Settings settings) {
        Options o = options(settings);
        int chunk = o.chunk();
        int threads = o.threads();
        long prefixCacheBytes = o.prefixCacheBytes();
        Nd4jSetup.init();
        Parallel parallel = new Parallel(threads);
        return new Backend() {
            @Override
            public String device() {
                return "cpu (OpenBLAS, " + threads + " threads, " + chunk + "-row chunks)";
            }

            @Override
            public void close() {
                parallel.close();
            }

            @Override
            public QueryEvaluator evaluator(Objective objective) {
                if (objective instanceof NetworkObjective net) {
                    return new CpuNetworkEvaluator(net, chunk, parallel);
                }
                if (objective instanceof GraphObjective graph) {
                    return new CpuGraphEvaluator(graph, chunk, parallel, prefixCacheBytes);
                }
                return new org.forward4j.estimator.ReferenceQueryEvaluator(objective);
            }
        };
    }
}
