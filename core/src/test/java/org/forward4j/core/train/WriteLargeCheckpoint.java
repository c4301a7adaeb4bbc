package org.forward4j.core.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Run in a child JVM with a small heap by {@link CheckpointTest}: writes a checkpoint larger than that heap (the
 * parameters, and the same array again as optimiser state), which only a streaming writer can do.
 */
public final class WriteLargeCheckpoint {

    private WriteLargeCheckpoint() {
    }

    /**
     * Writes the checkpoint.
     *
     * @param args the directory and the number of parameters
     */
    public static void main(String[] args) {
        int n = Integer.parseInt(args[1]);
        float[] params = new float[n];
        for (int i = 0; i < n; i++) {
            params[i] = i * 0.5f;
        }
        new Checkpoint(3, 30, 0, 0, 1.5, 0, 0, params, params, Map.of(), Map.of(), Map.of(), List.of(),
                Map.of("forward4j.seed", "1")).save(Path.of(args[0]));
        System.out.println("written with heap limit " + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
    }
}
