package org.forward4j.benchmarks;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.util.List;

/**
 * Bytes the C allocator has handed out and not yet freed, from glibc's {@code mallinfo2()} (in-use arena chunks
 * plus mmap'ed chunks, summed over all arenas). ND4J's CPU arrays are allocated with malloc, outside JavaCPP's
 * {@code Pointer.totalBytes()} accounting and outside the Java heap, so this is where they show. The resident set
 * size is no substitute: glibc keeps freed chunks and reuses them without the resident size moving. Unavailable
 * (reported as -1) without glibc 2.33 or JNA.
 */
final class NativeHeap {

    /** glibc's {@code struct mallinfo2}, every field a {@code size_t}. */
    public static class MallInfo2 extends Structure {
        /** Non-mmap'ed space allocated from the system. */
        public long arena;
        /** Number of free chunks. */
        public long ordblks;
        /** Number of free fastbin blocks. */
        public long smblks;
        /** Number of mmap'ed regions. */
        public long hblks;
        /** Space allocated in mmap'ed regions. */
        public long hblkhd;
        /** Unused. */
        public long usmblks;
        /** Space in freed fastbin blocks. */
        public long fsmblks;
        /** Total allocated (in-use) space. */
        public long uordblks;
        /** Total free space. */
        public long fordblks;
        /** Top-most releasable space. */
        public long keepcost;

        @Override
        protected List<String> getFieldOrder() {
            return List.of("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                    "fordblks", "keepcost");
        }

        /** Returned by value. */
        public static class ByValue extends MallInfo2 implements Structure.ByValue {
        }
    }

    /** The C library. */
    public interface LibC extends Library {
        /**
         * glibc's allocator statistics.
         *
         * @return the statistics
         */
        MallInfo2.ByValue mallinfo2();
    }

    private static final LibC LIBC = load();

    private NativeHeap() {
    }

    @SuppressWarnings("deprecation")
    private static LibC load() {
        try {
            LibC c = Native.loadLibrary("c", LibC.class);
            c.mallinfo2();
            return c;
        } catch (LinkageError | RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether the statistics are available.
     *
     * @return true on glibc 2.33 or later with JNA
     */
    static boolean available() {
        return LIBC != null;
    }

    /**
     * Bytes in use by malloc; takes about a millisecond, since glibc walks its arenas.
     *
     * @return the bytes, or -1 when unavailable
     */
    static long inUse() {
        if (LIBC == null) {
            return -1;
        }
        MallInfo2 m = LIBC.mallinfo2();
        return m.uordblks + m.hblkhd;
    }
}
