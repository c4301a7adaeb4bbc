package org.forward4j.spark;

/**
 * A 64-bit fingerprint of a parameter vector's exact bits (FNV-1a over the float bit patterns). Replicas report
 * it with every answer and the driver compares it with its own parameters', so a replica that ever differed by a
 * single bit would stop the run instead of silently training something else.
 */
final class Hashing {

    private Hashing() {
    }

    /**
     * The fingerprint.
     *
     * @param values the vector
     * @return its hash
     */
    static long of(float[] values) {
        long h = 0xcbf29ce484222325L;
        for (float v : values) {
            h = (h ^ Float.floatToRawIntBits(v)) * 0x100000001b3L;
        }
        return h ^ values.length;
    }
}
