package org.forward4j.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random, truncated and bit-flipped inputs: every one must load correctly or throw {@link InvalidDataException},
 * quickly, never another exception, never an {@link OutOfMemoryError}.
 */
class FuzzTest {

    private static final int ITERATIONS = 2000;
    private static final int DIRECTORY_ITERATIONS = 250;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** Outcome counts, checked so a fuzz run that only ever hits one branch is noticed. */
    private int loaded;
    private int rejected;

    /** What a mutation guarantees about the result. */
    private enum Expect {
        ANY, REJECT
    }

    /** Runs one load under the timeout. */
    private <T> T attempt(long seed, int iteration, String what, byte[] input, Callable<T> load) {
        return assertTimeoutPreemptively(TIMEOUT, () -> attemptUntimed(seed, iteration, what, input, load),
                () -> String.format("seed %d iteration %d (%s) timed out; input %s", seed, iteration, what,
                        hex(input)));
    }

    /** Runs one load; callers put it under a timeout (several loads of one input may share it). */
    private <T> T attemptUntimed(long seed, int iteration, String what, byte[] input, Callable<T> load) {
        Object result;
        try {
            result = load.call();
        } catch (InvalidDataException e) {
            assertThat(e.getMessage()).as("seed %d iteration %d (%s)", seed, iteration, what).isNotBlank();
            result = e;
        } catch (Throwable t) {
            throw new AssertionError(String.format("seed %d iteration %d (%s): %s instead of InvalidDataException;"
                    + " input %s", seed, iteration, what, t, hex(input)), t);
        }
        if (result instanceof InvalidDataException) {
            rejected++;
            return null;
        }
        loaded++;
        @SuppressWarnings("unchecked")
        T t = (T) result;
        return t;
    }

    private static String hex(byte[] b) {
        byte[] head = Arrays.copyOf(b, Math.min(b.length, 64));
        return b.length + " bytes " + HexFormat.of().formatHex(head) + (b.length > 64 ? "..." : "");
    }

    private static byte[] randomBytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] flipBits(SplittableRandom rnd, byte[] in) {
        byte[] b = in.clone();
        int flips = 1 + rnd.nextInt(4);
        for (int i = 0; i < flips && b.length > 0; i++) {
            b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
        }
        return b;
    }

    private static int extremeInt(SplittableRandom rnd) {
        int[] edge = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 8, 1 << 16, 1 << 24};
        return rnd.nextBoolean() ? edge[rnd.nextInt(edge.length)] : rnd.nextInt();
    }

    /** A mutated IDX input and what it guarantees. */
    private record Case(String what, byte[] bytes, Expect expect) {
    }

    private static Case mutateIdx(SplittableRandom rnd, byte[] valid) {
        switch (rnd.nextInt(8)) {
            case 0:
                return new Case("random bytes", randomBytes(rnd, rnd.nextInt(80)), Expect.ANY);
            case 1:
                return new Case("valid header, random body",
                        IdxFiles.concat(Arrays.copyOf(valid, valid.length > 16 ? 16 : 8),
                                randomBytes(rnd, rnd.nextInt(120))), Expect.ANY);
            case 2:
                return new Case("truncated", Arrays.copyOf(valid, rnd.nextInt(valid.length)), Expect.REJECT);
            case 3:
                {
                byte[] gz = IdxFiles.gzip(valid);
                return new Case("truncated gzip", Arrays.copyOf(gz, rnd.nextInt(gz.length)), Expect.REJECT);
            }
            case 4:
                return new Case("bit flips", flipBits(rnd, valid), Expect.ANY);
            case 5:
                return new Case("bit flips in gzip", flipBits(rnd, IdxFiles.gzip(valid)), Expect.ANY);
            case 6: {
                byte[] b = valid.clone();
                int word = rnd.nextInt(Math.min(4, b.length / 4));
                int v = extremeInt(rnd);
                for (int k = 0; k < 4; k++) {
                    b[4 * word + k] = (byte) (v >>> (24 - 8 * k));
                }
                byte[] out = rnd.nextBoolean() ? b : IdxFiles.gzip(b);
                return new Case("header word " + word + " = " + v, out, Expect.ANY);
            }
            default: {
                byte[] longer = IdxFiles.concat(valid, randomBytes(rnd, 1 + rnd.nextInt(20)));
                return new Case("trailing bytes", rnd.nextBoolean() ? longer : IdxFiles.gzip(longer), Expect.REJECT);
            }
        }
    }

    /** The input without gzip, by an independent path (the JDK's own stream read to its end). */
    private static byte[] plain(byte[] input) {
        if (input.length >= 2 && (input[0] & 0xFF) == 0x1F && (input[1] & 0xFF) == 0x8B) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(input))) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return input;
    }

    private static int intAt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    @Test
    void idxReadersLoadCorrectlyOrRejectMutatedInput() throws IOException {
        long seed = 0x1D3_F022L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int it = 0; it < ITERATIONS; it++) {
            boolean images = rnd.nextBoolean();
            int count = 1 + rnd.nextInt(5);
            byte[] valid = images
                    ? IdxFiles.imagesBytes(IdxFiles.images(count, 1 + rnd.nextInt(6), 1 + rnd.nextInt(6)))
                    : IdxFiles.labelsBytes(IdxFiles.labels(count, 10));
            Case c = mutateIdx(rnd, valid);
            int iteration = it;
            assertTimeoutPreemptively(TIMEOUT, () -> checkIdxInput(seed, iteration, images, c),
                    () -> String.format("seed %d iteration %d (%s) timed out; input %s", seed, iteration, c.what(),
                            hex(c.bytes())));
        }
        assertThat(loaded).as("seed %d: some mutated files still load", seed).isPositive();
        assertThat(rejected).as("seed %d: most are rejected", seed).isGreaterThan(ITERATIONS);
    }

    /** Reads one mutated IDX input through the stream path, sometimes the file path, and the other parser. */
    private void checkIdxInput(long seed, int it, boolean images, Case c) throws IOException {
        byte[] in = c.bytes();
        // files are slow to write here, so the file path (length known up front) runs on every 8th input
        Path file = it % 8 == 0 ? Files.write(dir.resolve("fuzz"), in) : null;
        String what = (images ? "images, " : "labels, ") + c.what();
        Object fromStream;
        Object fromFile = null;
        if (images) {
            fromStream = attemptUntimed(seed, it, what, in, () -> Idx.readImages(new ByteArrayInputStream(in), "fuzz"));
            if (file != null) {
                fromFile = attemptUntimed(seed, it, what + ", file", in, () -> Idx.readImages(file));
            }
            // the other parser must reject it cleanly too
            attemptUntimed(seed, it, what + ", as labels", in, () -> Idx.readLabels(new ByteArrayInputStream(in), "f"));
        } else {
            fromStream = attemptUntimed(seed, it, what, in, () -> Idx.readLabels(new ByteArrayInputStream(in), "fuzz"));
            if (file != null) {
                fromFile = attemptUntimed(seed, it, what + ", file", in, () -> Idx.readLabels(file));
            }
            attemptUntimed(seed, it, what + ", as images", in, () -> Idx.readImages(new ByteArrayInputStream(in), "f"));
        }
        Supplier<String> desc = () -> String.format("seed %d iteration %d (%s) input %s", seed, it, what, hex(in));
        if (file != null) {
            assertThat(fromFile == null).as(() -> "stream and file agree: " + desc.get())
                    .isEqualTo(fromStream == null);
        }
        if (c.expect() == Expect.REJECT) {
            assertThat(fromStream).as(desc).isNull();
        }
        if (fromStream != null) {
            // loaded: the result is exactly what the bytes say
            byte[] p = plain(in);
            if (images) {
                Idx.Images im = (Idx.Images) fromStream;
                assertThat(new int[] {im.count(), im.height(), im.width()}).as(desc)
                        .containsExactly(intAt(p, 4), intAt(p, 8), intAt(p, 12));
                assertThat(im.pixels()).as(desc).containsExactly(Arrays.copyOfRange(p, 16, p.length));
                if (file != null) {
                    assertThat(fromFile).as(desc).isEqualTo(im);
                }
            } else {
                int[] lb = (int[]) fromStream;
                assertThat(lb.length).as(desc).isEqualTo(intAt(p, 4)).isEqualTo(p.length - 8);
                for (int i = 0; i < lb.length; i++) {
                    assertThat(lb[i]).as(desc).isEqualTo(p[8 + i] & 0xFF);
                }
                if (file != null) {
                    assertThat((int[]) fromFile).as(desc).containsExactly(lb);
                }
            }
        }
    }

    @Test
    void idxDirectoryLoadsCorrectlyOrRejectsAMutatedFile() throws IOException {
        long seed = 0xD1_2EC7L;
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"};
        byte[][] valid = {
            IdxFiles.imagesBytes(IdxFiles.images(6, 4, 3)),
            IdxFiles.labelsBytes(IdxFiles.labels(6, 3)),
            IdxFiles.imagesBytes(IdxFiles.images(2, 4, 3)),
            IdxFiles.labelsBytes(IdxFiles.labels(2, 3)),
        };
        for (int i = 0; i < 4; i++) {
            Files.write(dir.resolve(names[i]), valid[i]);
        }
        // whole-directory loads write files, which is slow here; the readers' 2,000 in-memory inputs above cover
        // the parsing, this covers the wiring
        for (int it = 0; it < DIRECTORY_ITERATIONS; it++) {
            int target = rnd.nextInt(4);
            Case c = mutateIdx(rnd, valid[target]);
            Files.write(dir.resolve(names[target]), c.bytes());
            String what = names[target] + ", " + c.what();
            DatasetSplit split = attempt(seed, it, what, c.bytes(), () -> Datasets.load("idx:" + dir));
            String desc = String.format("seed %d iteration %d (%s) input %s", seed, it, what, hex(c.bytes()));
            if (c.expect() == Expect.REJECT) {
                assertThat(split).as(desc).isNull();
            }
            if (split != null) {
                assertThat(split.train().rows()).as(desc).isEqualTo(split.train().labels().length);
                assertThat(split.train().cols()).as(desc).isEqualTo(split.test().cols());
            }
            Files.write(dir.resolve(names[target]), valid[target]);
        }
        assertThat(loaded).as("seed %d", seed).isPositive();
        assertThat(rejected).as("seed %d", seed).isPositive();
    }

    private static String validCsv(SplittableRandom rnd, int cols, boolean bytes, boolean header) {
        StringBuilder sb = new StringBuilder();
        if (header) {
            sb.append("label");
            for (int c = 0; c < cols; c++) {
                sb.append(",px").append(c);
            }
            sb.append('\n');
        }
        int rows = 1 + rnd.nextInt(5);
        for (int r = 0; r < rows; r++) {
            sb.append(rnd.nextInt(10));
            for (int c = 0; c < cols; c++) {
                sb.append(',');
                sb.append(bytes ? Integer.toString(rnd.nextInt(256))
                        : String.format(Locale.ROOT, "%.3f", rnd.nextInt(1001) / 1000.0));
            }
            sb.append(rnd.nextBoolean() ? "\n" : "\r\n");
        }
        return sb.toString();
    }

    private static byte[] mutateCsv(SplittableRandom rnd, byte[] valid) {
        String[] tokens = {",", "\n", "\r", "-", "e", "E+", ".", "NaN", "Infinity", "1e99", "", "\"", " ", "\t",
            "256", "0x1", "\uFEFF", "\u00e9", "label", "999999999999", ",,", "+", "1.5"};
        switch (rnd.nextInt(6)) {
            case 0:
                return randomBytes(rnd, rnd.nextInt(100));
            case 1:
                return Arrays.copyOf(valid, rnd.nextInt(valid.length + 1));
            case 2:
                return flipBits(rnd, valid);
            case 3: {
                String s = new String(valid, StandardCharsets.UTF_8);
                int at = rnd.nextInt(s.length() + 1);
                String t = tokens[rnd.nextInt(tokens.length)];
                return (s.substring(0, at) + t + s.substring(at)).getBytes(StandardCharsets.UTF_8);
            }
            case 4: {
                String s = new String(valid, StandardCharsets.UTF_8);
                int at = rnd.nextInt(s.length());
                return (s.substring(0, at) + s.substring(at + 1)).getBytes(StandardCharsets.UTF_8);
            }
            default: {
                byte[] b = valid.clone();
                int at = rnd.nextInt(b.length);
                b[at] = (byte) rnd.nextInt(256);
                return b;
            }
        }
    }

    /** Decodes like {@code Files.newBufferedReader}: malformed UTF-8 is an error, not a replacement char. */
    private static BufferedReader utf8(byte[] b) {
        return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(b),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)));
    }

    @Test
    void csvLoadsCorrectlyOrRejectsMutatedInput() throws IOException {
        long seed = 0xC5_F022L;
        SplittableRandom rnd = new SplittableRandom(seed);
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv");
        String spec = "csv:" + train + "," + test;
        for (int it = 0; it < ITERATIONS; it++) {
            int cols = 1 + rnd.nextInt(4);
            boolean bytes = rnd.nextBoolean();
            byte[] tr = validCsv(rnd, cols, bytes, rnd.nextBoolean()).getBytes(StandardCharsets.UTF_8);
            byte[] te = validCsv(rnd, cols, bytes, rnd.nextBoolean()).getBytes(StandardCharsets.UTF_8);
            boolean mutateTrain = rnd.nextBoolean();
            byte[] bad = mutateCsv(rnd, mutateTrain ? tr : te);
            byte[] trainBytes = mutateTrain ? bad : tr;
            byte[] testBytes = mutateTrain ? te : bad;
            String what = (mutateTrain ? "train" : "test") + " mutated";
            DatasetSplit split;
            if (it % 10 == 0) {
                // through real files and the public facade; slow to write here, so only every 10th input
                Files.write(train, trainBytes);
                Files.write(test, testBytes);
                split = attempt(seed, it, what, bad, () -> Datasets.load(spec));
            } else {
                split = attempt(seed, it, what, bad, () -> CsvReader.read("mem", "train.csv",
                        () -> utf8(trainBytes), "test.csv", () -> utf8(testBytes)));
            }
            if (split != null) {
                String desc = String.format("seed %d iteration %d (%s) input %s", seed, it, what, hex(bad));
                assertThat(split.train().cols()).as(desc).isEqualTo(split.test().cols());
                assertThat(split.train().classes()).as(desc).isEqualTo(split.test().classes()).isPositive();
            }
        }
        assertThat(loaded).as("seed %d", seed).isPositive();
        assertThat(rejected).as("seed %d", seed).isPositive();
    }

    @Test
    void validCsvRoundTripsThroughTheFuzzGenerator() throws IOException {
        // guards the fuzz tests above: unmutated generator output must load, or they would test nothing
        long seed = 7L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int it = 0; it < 50; it++) {
            boolean bytes = rnd.nextBoolean();
            Path train = Files.writeString(dir.resolve("a.csv"), validCsv(rnd, 3, bytes, rnd.nextBoolean()));
            Path test = Files.writeString(dir.resolve("b.csv"), validCsv(rnd, 3, bytes, rnd.nextBoolean()));
            DatasetSplit split = Datasets.load("csv:" + train + "," + test);
            assertThat(split.train().cols()).as("seed %d iteration %d", seed, it).isEqualTo(3);
        }
    }
}
