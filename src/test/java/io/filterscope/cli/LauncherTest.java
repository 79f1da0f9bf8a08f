package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A filterscope.jar copied away from its lib/ folder says so in one line, in a JVM of its own. */
class LauncherTest {

    @Test
    void aJarWithoutItsLibrariesSaysWhatIsMissingInOneLine(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("filterscope.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Launcher.class.getName());
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, "lib/picocli-4.7.7.jar lib/vertx-core-5.0.10.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest);
             InputStream launcher = Launcher.class.getResourceAsStream("Launcher.class")) {
            jarOut.putNextEntry(new JarEntry(Launcher.class.getName().replace('.', '/') + ".class"));
            launcher.transferTo(jarOut);
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), "models")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, p.exitValue());
        assertEquals(1, lines.size(), "one line: " + lines);
        assertTrue(lines.get(0).startsWith("filterscope: 2 of the libraries filterscope.jar needs are missing from "
                + dir.resolve("lib")) && lines.get(0).contains("picocli-4.7.7.jar"), lines.get(0));
    }
}
