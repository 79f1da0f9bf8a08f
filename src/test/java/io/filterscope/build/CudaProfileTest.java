package io.filterscope.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No GPU is reachable here, so the GPU build is checked as far as it can be: the {@code cuda} profile
 * resolves ND4J's CUDA backend (and not the CPU one), the same sources compile against it, and the build
 * records the cuDNN variant that {@code Backend} selects at start-up.
 */
class CudaProfileTest {

    @Test
    void theCudaProfileResolvesTheCudaBackendAndCompilesTheSameSources(@TempDir Path copy) throws Exception {
        Files.copy(Path.of("pom.xml"), copy.resolve("pom.xml"));
        copyTree(Path.of("src", "main"), copy.resolve("src").resolve("main"));

        Path classpath = copy.resolve("classpath.txt");
        maven(copy, "-Pcuda", "compile", "dependency:build-classpath", "-Dmdep.outputFile=" + classpath);

        List<String> jars = List.of(Files.readString(classpath).split(java.io.File.pathSeparator));
        assertTrue(jars.stream().anyMatch(j -> j.contains("nd4j-cuda-11.6")), "ND4J's CUDA backend is on the classpath");
        assertTrue(jars.stream().anyMatch(j -> j.matches(".*cuda-11\\.6-.*redist\\.jar")), "with the CUDA libraries");
        assertFalse(jars.stream().anyMatch(j -> j.matches(".*/nd4j-native-1[^/]*\\.jar")), "and not the CPU backend");
        assertTrue(Files.exists(copy.resolve("target/classes/io/filterscope/engine/Backend.class")), "the sources compiled");
        String build = Files.readString(copy.resolve("target/classes/filterscope/build.properties"));
        assertTrue(build.contains("nd4j.extension=-cudnn"), build);
    }

    private static void maven(Path dir, String... goals) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("mvn", "-B", "-q"));
        command.addAll(List.of(goals));
        Path log = dir.resolve("maven.log");
        Process mvn = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!mvn.waitFor(20, TimeUnit.MINUTES)) {
            mvn.destroyForcibly();
            throw new AssertionError("mvn -Pcuda did not finish within 20 minutes");
        }
        assertEquals(0, mvn.exitValue(), () -> "mvn " + String.join(" ", goals) + " failed:\n" + tail(log));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
