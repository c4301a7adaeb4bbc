package org.forward4j.backend.opencl;

import com.aparapi.Kernel;

/** A kernel Aparapi cannot translate to OpenCL (it calls into the JDK), so Aparapi falls back to Java. */
final class UntranslatableKernel extends Kernel {
    int[] out = new int[64];

    @Override
    public void run() {
        out[getGlobalId()] = Integer.toString(getGlobalId()).length();
    }
}
