package org.forward4j.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another program reads the file: a pure-Python safetensors reader ({@code struct} and {@code json} only, no
 * forward4j, no NumPy) gets the metadata, the shapes and every weight. Skipped where {@code python3} is absent.
 */
class ModelFilePythonTest {

    private static final String READER = String.join("\n",
            "import json, struct, sys",
            "with open(sys.argv[1], 'rb') as f:",
            "    (n,) = struct.unpack('<Q', f.read(8))",
            "    header = json.loads(f.read(n).decode('utf-8'))",
            "    data = f.read()",
            "meta = header.pop('__metadata__')",
            "out = {'format': meta['format'], 'architecture': json.loads(meta['architecture']), 'tensors': {}}",
            "for name, t in header.items():",
            "    begin, end = t['data_offsets']",
            "    assert t['dtype'] == 'F32'",
            "    values = struct.unpack('<%df' % ((end - begin) // 4), data[begin:end])",
            "    total = 0.0",
            "    for v in values:",
            "        total += v",
            "    out['tensors'][name] = {'shape': t['shape'], 'first': values[0], 'last': values[-1], 'sum': total}",
            "print(json.dumps(out))");

    private static boolean python() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void aPurePythonReaderGetsTheSameWeights(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(python(), "python3 is not installed");
        DenseNetwork net = Mlp.network(12, new int[] {7}, 3, Activation.RELU);
        float[] p = Mlp.initialParameters(net, 4);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, p, Map.of("seed", "4"));
        Path script = dir.resolve("reader.py");
        Files.writeString(script, READER);
        Process proc = new ProcessBuilder("python3", script.toString(), f.toString()).redirectErrorStream(true)
                .start();
        String out = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(proc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(proc.exitValue()).as("python output: %s", out).isZero();

        JsonNode r = new ObjectMapper().readTree(out);
        assertThat(r.get("format").asText()).isEqualTo("forward4j-model");
        assertThat(r.get("architecture").get("sizes").toString()).isEqualTo("[12,7,3]");
        JsonNode tensors = r.get("tensors");
        assertThat(tensors.size()).isEqualTo(4);
        for (int l = 0; l < net.layers(); l++) {
            for (String kind : List.of("weight", "bias")) {
                JsonNode t = tensors.get("layers." + l + "." + kind);
                int from = kind.equals("weight") ? net.weightOffset(l) : net.biasOffset(l);
                int to = kind.equals("weight") ? net.biasOffset(l) : net.weightOffset(l + 1);
                assertThat(t.get("shape").toString()).isEqualTo(kind.equals("weight")
                        ? "[" + net.out(l) + "," + net.in(l) + "]" : "[" + net.out(l) + "]");
                assertThat((float) t.get("first").asDouble()).isEqualTo(p[from]);
                assertThat((float) t.get("last").asDouble()).isEqualTo(p[to - 1]);
                double sum = 0;
                for (int i = from; i < to; i++) {
                    sum += p[i];
                }
                assertThat(t.get("sum").asDouble()).as("the same doubles added in the same order").isEqualTo(sum);
            }
        }
    }
}
