package io.filterscope.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Chooses ND4J's native build before ND4J loads: the build the jar was packaged with (the oneDNN
 * build of libnd4j on CPU, whose convolutions are several times faster than the plain one; cuDNN
 * under the cuda profile), as Maven recorded it in {@code filterscope/build.properties}.
 */
public final class Backend {
    private static final String EXTENSION = "org.bytedeco.javacpp.platform.extension";

    private Backend() {
    }

    public static void configure() {
        Properties build = new Properties();
        try (InputStream in = Backend.class.getResourceAsStream("/filterscope/build.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (System.getProperty(EXTENSION) == null) {
            System.setProperty(EXTENSION, build.getProperty("nd4j.extension", "-onednn"));
        }
        // Keep ND4J's start-up chatter out of the command line's output.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    /** "cpu" or "cuda", from the jar's build. */
    public static String name() {
        return System.getProperty(EXTENSION, "").contains("cudnn") ? "cuda" : "cpu";
    }

    /** A short description of the compute device, for /api/health. */
    public static String device() {
        if (name().equals("cuda")) {
            return "cuda device 0";
        }
        String cpu = System.getProperty("os.arch");
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the architecture will do.
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
