package io.filterscope.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering, read from the sources' imports: the engine imports nothing above it (model, server, cli...),
 * the parts a run is made of import neither the loop nor the settings that build them, and no engine
 * package imports one that imports it back.
 */
class LayeringTest {
    private static final Path ENGINE = Path.of("src", "main", "java", "io", "filterscope", "engine");
    private static final Pattern IMPORT = Pattern.compile("\\b(io\\.filterscope(?:\\.[a-z]\\w*)*)\\.[A-Z]\\w*");
    private static final List<String> PARTS = List.of("objective", "optimizer", "param", "regularizer", "transform");

    /** Each engine package and the io.filterscope packages it refers to. */
    private static Map<String, Set<String>> engineImports() throws IOException {
        Map<String, Set<String>> imports = new HashMap<>();
        try (Stream<Path> files = Files.walk(ENGINE)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                String pkg = source.replaceAll("(?s)^.*?package ([\\w.]+);.*$", "$1");
                Set<String> used = imports.computeIfAbsent(pkg, k -> new HashSet<>());
                Matcher m = IMPORT.matcher(source.replaceAll("(?s)/\\*.*?\\*/|//[^\\n]*", ""));
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        used.add(m.group(1));
                    }
                }
            }
        }
        return imports;
    }

    @Test
    void theEngineImportsNothingAboveIt() throws IOException {
        List<String> upward = new ArrayList<>();
        engineImports().forEach((pkg, used) -> used.stream()
                .filter(u -> !u.startsWith("io.filterscope.engine") && !u.equals("io.filterscope"))
                .forEach(u -> upward.add(pkg + " -> " + u)));
        assertEquals(List.of(), upward);
    }

    @Test
    void runPartsImportNeitherTheLoopNorThePresets() throws IOException {
        List<String> wrong = new ArrayList<>();
        engineImports().forEach((pkg, used) -> {
            if (PARTS.stream().anyMatch(p -> pkg.equals("io.filterscope.engine." + p))) {
                used.stream().filter(u -> u.endsWith(".engine.render") || u.endsWith(".engine.preset"))
                        .forEach(u -> wrong.add(pkg + " -> " + u));
            }
        });
        assertEquals(List.of(), wrong);
    }

    @Test
    void noEnginePackageImportsOneThatImportsItBack() throws IOException {
        Map<String, Set<String>> imports = engineImports();
        List<String> cycles = new ArrayList<>();
        for (String pkg : imports.keySet()) {
            for (String other : reachable(imports, pkg)) {
                if (!other.equals(pkg) && reachable(imports, other).contains(pkg) && pkg.compareTo(other) < 0) {
                    cycles.add(pkg + " <-> " + other);
                }
            }
        }
        assertEquals(List.of(), cycles);
    }

    private static Set<String> reachable(Map<String, Set<String>> imports, String from) {
        Set<String> seen = new HashSet<>();
        List<String> todo = new ArrayList<>(List.of(from));
        while (!todo.isEmpty()) {
            for (String next : imports.getOrDefault(todo.remove(todo.size() - 1), Set.of())) {
                if (seen.add(next)) {
                    todo.add(next);
                }
            }
        }
        return seen;
    }
}
