package io.filterscope.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;

/**
 * The jar's entry point. It uses nothing but the JDK, so that a {@code filterscope.jar} copied without the
 * {@code lib/} folder its manifest names can say so in one line, instead of failing with a stack trace on
 * the first missing class. Then it hands over to {@link Main}.
 */
public final class Launcher {
    private Launcher() {
    }

    public static void main(String[] args) {
        String missing = missingLibraries();
        if (missing != null) {
            System.err.println("filterscope: " + missing);
            System.exit(1);
        }
        Main.main(args);
    }

    /** What the running jar's manifest Class-Path names that is not there, or null (not run from a jar, or all there). */
    static String missingLibraries() {
        Path jar;
        try {
            jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
        if (!Files.isRegularFile(jar)) {
            return null; // classes on a class path: a build or test run
        }
        String classPath;
        try (JarFile file = new JarFile(jar.toFile())) {
            classPath = file.getManifest() == null ? null : file.getManifest().getMainAttributes().getValue("Class-Path");
        } catch (IOException e) {
            return null;
        }
        if (classPath == null) {
            return null;
        }
        Path dir = jar.toAbsolutePath().getParent();
        List<String> absent = Arrays.stream(classPath.trim().split("\\s+")).filter(l -> !Files.exists(dir.resolve(l))).toList();
        if (absent.isEmpty()) {
            return null;
        }
        return absent.size() + " of the libraries " + jar.getFileName() + " needs are missing from " + dir.resolve("lib")
                + " (e.g. " + Path.of(absent.get(0)).getFileName() + "): keep the jar beside its lib folder, as in the "
                + "filterscope-VERSION folder that mvn package builds (run its bin/filterscope)";
    }
}
