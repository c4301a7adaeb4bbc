package org.forward4j.backend.opencl;

import com.aparapi.device.OpenCLDevice;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.noise.Philox;
import org.forward4j.plugin.Forward4jException;
import org.forward4j.plugin.Settings;

/**
 * Command-line check of the {@code opencl} backend on this machine's device: a parity check against the plain-Java
 * reference, then a throughput table that reports every path as a fraction of a plain, unperturbed forward of the
 * same rows on the same device (docs/method.md §6). {@code gpu-check.sh} runs it.
 *
 * <p>Options (all optional): {@code --shape 784-1024-1024-10} {@code --activation relu} {@code --batch 256}
 * {@code --queries 16} {@code --sigma 0.01} {@code --seconds 3} (measuring time per path)
 * {@code --device-type auto} {@code --device-name TEXT} {@code --label TEXT} (shown in the table's title)
 * {@code --skip-parity}. Exit status 0 when parity holds, 1 when it does not, 2 on bad options or no device (then
 * one line on standard error says why). {@code gpu-bundle.sh} builds a folder that runs it with its own Java runtime
 * and OpenCL loader.
 */
public final class GpuCheck {

    private static final double TOL = 1e-5;

    /** Options that take a value, with the default; {@code --skip-parity} takes none. */
    private static final Map<String, String> DEFAULTS = defaults();

    private static final String USAGE = "options: --shape 784-1024-1024-10 --activation relu|tanh|identity --batch 256 "
            + "--queries 16 --sigma 0.01 --seconds 3 --device-type auto|gpu|cpu|accelerator --device-name TEXT "
            + "--label TEXT --skip-parity";

    private final PrintStream out;
    private final Options options;

    private GpuCheck(PrintStream out, Options options) {
        this.out = out;
        this.options = options;
    }

    /** The parsed command line. */
    record Options(int[] shape, Activation activation, int batch, int queries, float sigma, double seconds,
                   String label, boolean skipParity, List<String> settings) {
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("shape", "784-1024-1024-10");
        d.put("activation", "relu");
        d.put("batch", "256");
        d.put("queries", "16");
        d.put("sigma", "0.01");
        d.put("seconds", "3");
        d.put("device-type", null);
        d.put("device-name", null);
        d.put("label", "");
        return Collections.unmodifiableMap(d);
    }

    /**
     * Runs the check on this machine's OpenCL devices and exits with its status.
     *
     * @param args options, see the class documentation
     */
    public static void main(String[] args) {
        System.exit(run(args, new OpenClBackendProvider(), System.out, System.err));
    }

    /**
     * Runs the check. A user error (bad options, no OpenCL device, no device of the requested type) is one line on
     * {@code err} starting with {@code gpu-check:}, and status 2.
     *
     * @return 0 when parity holds, 1 when it does not, 2 on bad options or no device
     */
    static int run(String[] args, OpenClBackendProvider provider, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("gpu-check: " + e.getMessage());
            return 2;
        }
        BackendProvider.Availability a = provider.availability();
        if (!a.available()) {
            err.println("gpu-check: no OpenCL device: " + a.detail());
            return 2;
        }
        long t0 = System.nanoTime();
        Backend backend;
        try {
            backend = provider.create(Settings.of(options.settings().toArray(new String[0])));
        } catch (Forward4jException e) {
            // No device of the requested type (a machine without a GPU driver, say), or a bad device setting.
            err.println("gpu-check: " + e.getMessage());
            return 2;
        }
        try (backend) {
            return new GpuCheck(out, options).run(backend, a, t0);
        }
    }

    /** Parses and validates the command line; an {@link IllegalArgumentException} says what is wrong in one line. */
    static Options parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        boolean skipParity = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key = a.startsWith("--") ? a.substring(2) : "";
            if (key.equals("skip-parity")) {
                skipParity = true;
            } else if (DEFAULTS.containsKey(key) && i + 1 < args.length) {
                values.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException((DEFAULTS.containsKey(key) ? "option '" + a + "' needs a value"
                        : "unknown option '" + a + "'") + "; " + USAGE);
            }
        }
        int[] shape;
        try {
            shape = Arrays.stream(values.get("shape").split("-", -1)).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shape '" + values.get("shape") + "' is not a list of layer sizes "
                    + "such as 784-1024-10");
        }
        if (shape.length < 2 || Arrays.stream(shape).anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--shape '" + values.get("shape") + "' needs at least an input and an "
                    + "output size, all positive, such as 784-1024-10");
        }
        Activation activation;
        try {
            activation = Activation.valueOf(values.get("activation").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--activation '" + values.get("activation") + "' is not relu, tanh or "
                    + "identity");
        }
        List<String> settings = new ArrayList<>();
        for (String key : List.of("device-type", "device-name")) {
            if (values.get(key) != null) {
                settings.add(key);
                settings.add(values.get(key));
            }
        }
        return new Options(shape, activation, (int) positive(values, "batch"), (int) positive(values, "queries"),
                (float) positive(values, "sigma"), positive(values, "seconds"), values.get("label"), skipParity,
                List.copyOf(settings));
    }

    private static double positive(Map<String, String> values, String key) {
        String v = values.get(key);
        double d;
        try {
            d = key.equals("batch") || key.equals("queries") ? Integer.parseInt(v) : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(d > 0) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("--" + key + " '" + v + "' must be a positive "
                    + (key.equals("batch") || key.equals("queries") ? "integer" : "number"));
        }
        return d;
    }

    private int run(Backend backend, BackendProvider.Availability a, long t0) {
        Options o = options;
        out.println("opencl availability: available, gpu=" + a.gpu() + ": " + a.detail());
        out.println("java " + System.getProperty("java.version") + ", java.home=" + System.getProperty("java.home")
                + ", LD_PRELOAD=" + System.getenv().getOrDefault("LD_PRELOAD", "") + ", POCL_CACHE_DIR="
                + System.getenv().getOrDefault("POCL_CACHE_DIR", ""));
        // Which loader and driver the process really mapped: a bundle must use its own loader, and LD_LIBRARY_PATH
        // or ICD registration mistakes show up here rather than as a silently different driver.
        out.println("OpenCL libraries loaded: " + loadedOpenClLibraries() + ", OCL_ICD_VENDORS="
                + System.getenv().getOrDefault("OCL_ICD_VENDORS", ""));
        out.printf(Locale.ROOT, "backend %s (created and probed in %.1f s)%n", backend.device(),
                (System.nanoTime() - t0) / 1e9);
        boolean ok = true;
        if (!o.skipParity()) {
            ok = parity(backend, new DenseNetwork(o.shape(), o.activation()));
        }
        throughput(backend, new DenseNetwork(o.shape(), o.activation()), o.batch(), o.queries(), o.sigma(),
                o.seconds(), o.label());
        return ok ? 0 : 1;
    }

    /** The mapped files of this process whose name contains "opencl" or "pocl" (Linux), in mapping order. */
    static String loadedOpenClLibraries() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return "unknown (no /proc/self/maps)";
        }
        Set<String> libs = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(maps)) {
                int slash = line.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String file = line.substring(slash).trim();
                String name = file.substring(file.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
                if (name.contains("opencl") || name.contains("pocl")) {
                    libs.add(file);
                }
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return libs.isEmpty() ? "none" : String.join(", ", libs);
    }

    // ------------------------------------------------------------------ parity

    private boolean parity(Backend backend, DenseNetwork big) {
        out.println();
        out.println("parity against the plain-Java reference (tolerance " + TOL + " relative, absolute near 0)");
        boolean ok = noiseParity(backend);
        List<DenseNetwork> nets = List.of(new DenseNetwork(new int[] {7, 13, 5}, Activation.RELU),
                new DenseNetwork(new int[] {64, 33, 10}, Activation.TANH), big);
        for (DenseNetwork net : nets) {
            ok &= networkParity(backend, net, net == big ? 6 : 40);
        }
        out.println("parity: " + (ok ? "PASS" : "FAIL"));
        return ok;
    }

    private boolean noiseParity(Backend backend) {
        int n = 1 << 17;
        NoiseStream s = new NoiseStream(0x5EED5EEDL, 3, 7, 1);
        int[] words = new int[n];
        float[] values = new float[n];
        int start = 3;
        boolean bits = true;
        double worst = 0;
        try (KernelSession session = new KernelSession(deviceOf(backend))) {
            session.noise(s, NoiseStream.Distribution.GAUSSIAN, start, n, words, values);
        }
        float[] want = new float[n];
        s.fill(NoiseStream.Distribution.GAUSSIAN, want, 0, n, start);
        int[] block = new int[4];
        for (int i = 0; i < n; i++) {
            long k = (long) start + i;
            Philox.block((int) (k >>> 2), s.tensor(), s.draw(), (int) s.step(), (int) s.seed(), (int) (s.seed() >>> 32),
                    block);
            bits &= block[(int) (k & 3)] == words[i];
            worst = Math.max(worst, Math.abs(values[i] - want[i]));
        }
        boolean ok = bits && worst <= 1e-6;
        out.printf(Locale.ROOT, "  noise: %d elements, Philox words %s, max |gaussian diff| %.2e  %s%n", n,
                bits ? "identical" : "DIFFER", worst, ok ? "ok" : "FAIL");
        return ok;
    }

    private boolean networkParity(Backend backend, DenseNetwork net, int rowsPerPlan) {
        NetworkObjective obj = syntheticObjective(net, Math.max(rowsPerPlan, 8), 77);
        float[] theta = initialTheta(net, 78);
        QueryEvaluator dev = backend.evaluator(obj);
        QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
        int n = rowsPerPlan;
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] negate = new boolean[n];
        double[] weights = new double[n];
        for (int r = 0; r < n; r++) {
            rows[r] = r % obj.size();
            streams[r] = r / 2;
            negate[r] = r % 2 == 1;
            weights[r] = (r % 3) - 0.8;
        }
        ActivationPlan plan = new ActivationPlan(91, 5, 0.05f, rows, streams, negate);
        double lossErr;
        double gradErr;
        double energyErr;
        try (ActivationPass p = dev.evaluate(theta, plan)) {
            ActivationPass r = ref.evaluate(theta, plan);
            lossErr = maxError(p.losses(), r.losses(), 1.0);
            float[] g = new float[net.dimension()];
            float[] w = new float[net.dimension()];
            p.accumulateGradient(weights, g);
            r.accumulateGradient(weights, w);
            gradErr = normError(g, w);
            int m = 0;
            for (int l = 0; l < net.layers(); l++) {
                m += net.out(l);
            }
            energyErr = maxError(p.noiseEnergy(), r.noiseEnergy(), m);
        }
        double weightErr = 0;
        for (NoiseStream.Distribution dist : NoiseStream.Distribution.values()) {
            WeightPlan wp = new WeightPlan(92, 6, dist, List.of(new WeightQuery(0, 1e-2f, rows),
                    new WeightQuery(0, -1e-2f, rows), new WeightQuery(1, 0f, Arrays.copyOf(rows, 1))));
            double[][] got = dev.evaluate(theta, wp);
            double[][] want = ref.evaluate(theta, wp);
            for (int q = 0; q < want.length; q++) {
                weightErr = Math.max(weightErr, maxError(got[q], want[q], 1.0));
            }
        }
        boolean ok = lossErr <= TOL && gradErr <= TOL && energyErr <= TOL && weightErr <= TOL;
        out.printf(Locale.ROOT, "  %-26s activation losses %.1e, gradient %.1e (norm), noise energy %.1e, weight "
                + "plans %.1e  %s%n", net, lossErr, gradErr, energyErr, weightErr, ok ? "ok" : "FAIL");
        return ok;
    }

    /** Largest {@code |a - b| / max(floor, |b|)}. */
    private static double maxError(double[] got, double[] want, double floor) {
        double e = 0;
        for (int i = 0; i < want.length; i++) {
            e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(floor, Math.abs(want[i])));
        }
        return e;
    }

    private static double normError(float[] got, float[] want) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < want.length; i++) {
            d += (got[i] - want[i]) * (double) (got[i] - want[i]);
            n += want[i] * (double) want[i];
        }
        return Math.sqrt(d / n);
    }

    // ------------------------------------------------------------------ throughput

    private void throughput(Backend backend, DenseNetwork net, int batch, int queries, float sigma, double seconds,
                            String label) {
        NetworkObjective obj = syntheticObjective(net, batch, 5);
        float[] theta = initialTheta(net, 6);
        NetworkEvaluator dev = (NetworkEvaluator) backend.evaluator(obj);
        int n = batch * queries;
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] negate = new boolean[n];
        for (int r = 0; r < n; r++) {
            rows[r] = r / queries;
            streams[r] = (r % queries) / 2;
            negate[r] = r % 2 == 1;
        }
        ActivationPlan plan = new ActivationPlan(2024, 1, sigma, rows, streams, negate);
        double[] weights = new double[n];
        for (int r = 0; r < n; r++) {
            weights[r] = ((r * 7) % 11 - 5) / (double) n;
        }
        float[] grad = new float[net.dimension()];
        int[] batchRows = new int[batch];
        for (int i = 0; i < batch; i++) {
            batchRows[i] = i;
        }
        List<WeightQuery> wq = new ArrayList<>();
        for (int j = 0; j < queries; j++) {
            wq.add(new WeightQuery(j / 2, j % 2 == 0 ? 1e-3f : -1e-3f, batchRows));
        }
        WeightPlan weightPlan = new WeightPlan(2025, 1, NoiseStream.Distribution.GAUSSIAN, wq);

        double plain = time(seconds, () -> dev.plainLosses(theta, rows));
        double lr = time(seconds, () -> dev.evaluate(theta, plan).close());
        double lrGrad = time(seconds, () -> {
            try (ActivationPass p = dev.evaluate(theta, plan)) {
                p.accumulateGradient(weights, grad);
            }
        });
        double shared = time(seconds, () -> dev.evaluate(theta, weightPlan));
        int[] tileRows = Arrays.copyOf(batchRows, Math.min(batch, NetworkKernel.TILE));
        double fixed = time(Math.min(seconds, 1.0), () -> dev.plainLosses(theta, tileRows));

        long macs = 0;
        for (int l = 0; l < net.layers(); l++) {
            macs += (long) net.in(l) * net.out(l);
        }
        out.println();
        out.printf(Locale.ROOT, "throughput%s: %s, batch %d x %d queries per point = %d rows per call, sigma %s%n",
                label.isEmpty() ? "" : " [" + label + "]", net, batch, queries, n, sigma);
        out.println("device: " + backend.device());
        out.printf(Locale.ROOT, "%-46s %12s %14s %10s%n", "path", "ms / call", "rows / s", "of plain");
        row("plain forward, no noise (reference)", plain, n, plain);
        row("LR activation plan: forward + in-kernel noise", lr, n, plain);
        row("LR activation plan + gradient assembly", lrGrad, n, plain);
        row("weight plan, " + (queries + 1) / 2 + " shared directions x +-", shared, n, plain);
        out.printf(Locale.ROOT, "plain forward: %.1f GFLOP/s (2 x %d MACs per row); a %d-row plain forward (mostly the "
                + "per-call cost: parameter upload, %d launches, loss read-back) takes %.3f ms%n",
                2.0 * macs * n / plain / 1e9, macs, tileRows.length, net.layers() + 2, fixed * 1e3);
        out.printf(Locale.ROOT, "fraction of plain forward throughput (LR activation plan): %.3f%n", plain / lr);
    }

    private void row(String name, double secondsPerCall, int rows, double plain) {
        out.printf(Locale.ROOT, "%-46s %12.3f %14.0f %10.3f%n", name, secondsPerCall * 1e3, rows / secondsPerCall,
                plain / secondsPerCall);
    }

    /** Median seconds per call after two warm-up calls, over at least three calls and about {@code seconds}. */
    private static double time(double seconds, Runnable call) {
        call.run();
        call.run();
        List<Double> samples = new ArrayList<>();
        long start = System.nanoTime();
        while (samples.size() < 3 || (System.nanoTime() - start) / 1e9 < seconds && samples.size() < 1000) {
            long t = System.nanoTime();
            call.run();
            samples.add((System.nanoTime() - t) / 1e9);
        }
        samples.sort(Double::compare);
        return samples.get(samples.size() / 2);
    }

    // ------------------------------------------------------------------ synthetic data (Philox only)

    /** Features in [0, 1) and labels drawn from the counter-based generator, so every run sees the same data. */
    static NetworkObjective syntheticObjective(DenseNetwork net, int n, long seed) {
        int in = net.in(0);
        float[] x = new float[n * in];
        int[] w = new int[4];
        for (int i = 0; i < x.length; i += 4) {
            Philox.block(i >>> 2, 0, 0, 0, (int) seed, (int) (seed >>> 32), w);
            for (int e = 0; e < 4 && i + e < x.length; e++) {
                x[i + e] = (float) Philox.uniform(w[e]);
            }
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            Philox.block(i, 1, 0, 0, (int) seed, (int) (seed >>> 32), w);
            y[i] = (int) ((w[0] & 0xFFFFFFFFL) % net.classes());
        }
        return Networks.objective(net, x, y);
    }

    /** He-scaled Gaussian weights and zero biases. */
    static float[] initialTheta(DenseNetwork net, long seed) {
        float[] t = new float[net.dimension()];
        for (int l = 0; l < net.layers(); l++) {
            int len = net.in(l) * net.out(l);
            new NoiseStream(seed, 0, 0, l).addScaled(NoiseStream.Distribution.GAUSSIAN, t, net.weightOffset(l), len,
                    0, (float) Math.sqrt(2.0 / net.in(l)));
        }
        return t;
    }

    private static OpenCLDevice deviceOf(Backend backend) {
        if (backend instanceof OpenClBackend b) {
            return b.openClDevice();
        }
        throw new IllegalStateException("not an opencl backend: " + backend.device());
    }
}
