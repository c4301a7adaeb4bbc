package org.forward4j.tck;

/** Small vector measures the tck's checks (and plugin tests) compare estimates with. */
public final class Vectors {

    private Vectors() {
    }

    /**
     * {@code |a - b| / |b|} in double precision, or {@code |a - b|} when {@code b} is zero.
     *
     * @param a the vector under test
     * @param b the reference, of the same length
     * @return the relative Euclidean distance
     * @throws IllegalArgumentException if the lengths differ
     */
    public static double relativeDistance(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < b.length; k++) {
            double e = (double) a[k] - b[k];
            diff += e * e;
            norm += (double) b[k] * b[k];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
