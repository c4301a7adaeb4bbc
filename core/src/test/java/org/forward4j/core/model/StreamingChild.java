package org.forward4j.core.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;

/**
 * Runs in a child JVM with a heap too small for two copies of a model ({@link ModelFileStreamingTest}): exit 0 when
 * the model was written and read back intact, 3 on {@link OutOfMemoryError}, 1 on a wrong value.
 */
public final class StreamingChild {

    /** 3000 x 8000 + 8000 + 8000 x 10 + 10 = 24,088,010 floats: a 96 MB model. */
    static final DenseNetwork NET = new DenseNetwork(new int[] {3000, 8000, 10}, Activation.RELU);

    private StreamingChild() {
    }

    private static float value(int i) {
        return (i % 1_000_003) * 0.5f - 7f;
    }

    /**
     * Modes: {@code write-read FILE} writes and reads the model; {@code copy} builds the parameters and then a byte
     * array of the model's size, which is what a non-streaming writer would need (the test's control: it must fail).
     *
     * @param args mode and file
     */
    public static void main(String[] args) throws Exception {
        try {
            float[] p = new float[NET.dimension()];
            for (int i = 0; i < p.length; i++) {
                p[i] = value(i);
            }
            if (args[0].equals("copy")) {
                byte[] copy = new byte[4 * p.length];
                copy[copy.length - 1] = 1;
                System.out.println("allocated " + copy.length + " bytes beside " + p.length + " floats");
                System.exit(0);
            }
            Path f = Path.of(args[1]);
            ModelFile.write(f, NET, p, Map.of("purpose", "streaming test"));
            p = null;
            System.out.println("wrote " + Files.size(f) + " bytes");
            float[] back = ModelFile.read(f).parameters();
            for (int i = 0; i < back.length; i++) {
                if (back[i] != value(i)) {
                    System.out.println("parameter " + i + " read back as " + back[i] + ", wrote " + value(i));
                    System.exit(1);
                }
            }
            System.out.println("read back " + back.length + " parameters intact");
            System.exit(0);
        } catch (OutOfMemoryError e) {
            System.out.println("OutOfMemoryError: " + e.getMessage());
            System.exit(3);
        }
    }
}
