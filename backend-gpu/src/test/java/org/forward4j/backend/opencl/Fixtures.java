package org.forward4j.backend.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.forward4j.backend.Backend;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.plugin.Settings;

/** Shared test data: random networks, data and plans from fixed seeds. */
final class Fixtures {

    private Fixtures() {
    }

    /** Skips the calling test when this machine has no OpenCL device. */
    static void assumeOpenCl() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        assumeTrue(p.availability().available(), () -> "no OpenCL device: " + p.availability().detail());
    }

    static Backend backend(String... settings) {
        return new OpenClBackendProvider().create(Settings.of(settings));
    }

    static NetworkObjective objective(DenseNetwork net, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n * net.in(0)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(net.classes());
        }
        return Networks.objective(net, x, y);
    }

    static float[] theta(DenseNetwork net, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] t = new float[net.dimension()];
        for (int l = 0; l < net.layers(); l++) {
            double s = 1.5 / Math.sqrt(net.in(l));
            for (int i = net.weightOffset(l); i < net.biasOffset(l) + net.out(l); i++) {
                t[i] = (float) (gaussian(rnd) * s);
            }
        }
        return t;
    }

    static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    static DenseNetwork net(Activation a, int... sizes) {
        return new DenseNetwork(sizes, a);
    }

    static int[] rows(int n, int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = rnd.nextInt(size);
        }
        return r;
    }

    /** |a - b| <= tol * max(1, |b|): relative, or absolute near 0. */
    static boolean close(double a, double b, double tol) {
        return Math.abs(a - b) <= tol * Math.max(1.0, Math.abs(b));
    }
}
