package org.forward4j.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.forward4j.core.model.Graphs;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys of layer-graph runs (model, init, trainable, shots): defaults, and every problem in one message. */
class ModelKeysTest {

    private static TrainingConfig config(String... keyValues) {
        String[] prefixed = new String[keyValues.length];
        for (int i = 0; i < keyValues.length; i++) {
            prefixed[i] = i % 2 == 0 ? "forward4j." + keyValues[i] : keyValues[i];
        }
        return TrainingConfig.from(Settings.of(prefixed));
    }

    @Test
    void defaultsAreThePlainMlp() {
        TrainingConfig t = config();
        assertThat(t.model()).isEmpty();
        assertThat(t.init()).isEmpty();
        assertThat(t.trainable()).isEqualTo("all");
        assertThat(t.shots()).isZero();
        assertThat(t.plainMlp()).isTrue();
        assertThat(config("trainable", "head").plainMlp()).isFalse();
        assertThat(config("model", "VIT").plainMlp()).isFalse();
        assertThat(config("model", "cnn", "trainable", "last:2,biases", "shots", "10").shots()).isEqualTo(10);
    }

    @Test
    void architectureFilesAndModelFilesMustExistAndFit(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("g.json");
        Files.writeString(json, Graphs.toJson(Graphs.preset("cnn", 10)));
        assertThat(config("model", json.toString()).model()).isEqualTo(json.toString());
        Files.writeString(json, "{\"type\":\"graph\",\"input\":[4],\"classes\":2,\"output\":\"softmax-cross-entropy\","
                + "\"blocks\":[{\"name\":\"b\",\"layers\":[{\"kind\":\"linear\",\"name\":\"l\",\"in\":5,"
                + "\"out\":2}]}]}");
        assertThatThrownBy(() -> config("model", json.toString())).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("model=" + json + ": Model architecture file " + json + ": the graph "
                        + "architecture does not fit together: Block 'b': linear 'l' (5 -> 2) cannot take input [4]");
        assertThatThrownBy(() -> config("init", dir.toString())).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("init=" + dir + " is a directory without a model.safetensors");
    }

    @Test
    void everyProblemIsListedTogether() {
        assertThatThrownBy(() -> config("model", "resnet", "init", "missing.safetensors", "hidden", "32",
                "trainable", "last:x,heads,names:(", "shots", "-1"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("shots=-1 is out of range")
                .hasMessageContaining("model=resnet is neither a preset [cnn, vit] nor an architecture JSON file "
                        + "(FILE.json)")
                .hasMessageContaining("init=missing.safetensors: the model file does not exist")
                .hasMessageContaining("give model or init, not both")
                .hasMessageContaining("hidden shapes the MLP and does not apply to model=resnet; remove it")
                .hasMessageContaining("K of last:K must be a whole number")
                .hasMessageContaining("'heads' is not a selection (did you mean 'head'?)")
                .hasMessageContaining("names:( is not a valid regular expression");
        assertThatThrownBy(() -> config("trainable", " ")).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("trainable is empty");
    }
}
