package org.forward4j.examples.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/writing-a-plugin.md shows the example project's files verbatim: each block marked
 * {@code <!-- file: path -->} must equal that file, and every source file of the project must be shown, so the
 * guide and the project cannot drift apart.
 */
class WritingAPluginGuideTest {

    private static final Pattern BLOCK = Pattern.compile("<!-- file: (\\S+) -->\\n`[^`]+`:\\n\\n```\\w*\\n(.*?)```",
            Pattern.DOTALL);

    @Test
    void theGuideShowsEveryFileOfTheExampleProjectVerbatim() throws IOException {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        Path root = module.getParent();
        Path guide = root.resolve(Path.of("docs", "writing-a-plugin.md"));
        assumeTrue(Files.isRegularFile(guide), "no " + guide + " beside this module (not a full checkout)");
        String text = Files.readString(guide, StandardCharsets.UTF_8);
        Map<String, String> shown = new LinkedHashMap<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            shown.put(m.group(1), m.group(2));
        }
        for (Map.Entry<String, String> e : shown.entrySet()) {
            Path file = root.resolve(e.getKey());
            assertThat(file).as("file named in the guide").isRegularFile();
            assertThat(e.getValue()).as("the guide's copy of %s", e.getKey())
                    .isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
        }
        Path project = module.resolve("third-party-plugin");
        Set<String> sources = new TreeSet<>();
        sources.add(root.relativize(project.resolve("pom.xml")).toString().replace(java.io.File.separatorChar, '/'));
        try (Stream<Path> files = Files.walk(project.resolve("src"))) {
            files.filter(Files::isRegularFile)
                    .forEach(f -> sources.add(root.relativize(f).toString().replace(java.io.File.separatorChar, '/')));
        }
        assertThat(shown.keySet()).as("files the guide shows").containsExactlyInAnyOrderElementsOf(sources);
    }
}
