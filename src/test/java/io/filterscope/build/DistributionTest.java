package io.filterscope.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The installable folder ({@code src/assembly/files.xml}) as a reader of its README meets it: every relative link
 * in the shipped Markdown files leads to a file the folder holds.
 */
class DistributionTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyLinkInTheShippedReadmeAndDocsLeadsToAShippedFile() throws Exception {
        Set<String> shipped = shippedFiles();
        assertTrue(shipped.contains("README.md") && shipped.contains("bin/filterscope"), shipped.toString());
        List<String> broken = new ArrayList<>();
        for (String page : shipped.stream().filter(f -> f.endsWith(".md")).toList()) {
            Path source = Path.of(page);
            Matcher link = LINK.matcher(Files.readString(source));
            while (link.find()) {
                String target = link.group(1).replaceFirst("#.*$", "");
                if (target.isEmpty() || target.matches("[a-z]+:.*")) {
                    continue;
                }
                Path resolved = source.resolveSibling(target).normalize();
                if (!shipped.contains(resolved.toString().replace('\\', '/'))) {
                    broken.add(page + " -> " + link.group(1));
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void theCheckersClassesHelpNamesShipInTheInstalledFolder() throws Exception {
        Set<String> shipped = shippedFiles();
        for (String checker : List.of("emoji-checker", "fashion-checker", "mnist-checker")) {
            assertTrue(shipped.contains("checkers/" + checker + ".json") && shipped.contains("checkers/" + checker + ".onnx"),
                    checker + " in " + shipped);
        }
    }

    /** Paths inside the folder, as files.xml lays them out, of the files this checkout holds. */
    private static Set<String> shippedFiles() throws Exception {
        Element component = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("src/assembly/files.xml").toFile()).getDocumentElement();
        Set<String> out = new TreeSet<>();
        NodeList files = component.getElementsByTagName("file");
        for (int i = 0; i < files.getLength(); i++) {
            Element file = (Element) files.item(i);
            Path source = Path.of(text(file, "source"));
            out.add(Path.of(text(file, "outputDirectory")).resolve(source.getFileName()).normalize().toString());
        }
        NodeList sets = component.getElementsByTagName("fileSet");
        for (int i = 0; i < sets.getLength(); i++) {
            Element set = (Element) sets.item(i);
            Path directory = Path.of(text(set, "directory"));
            if (!Files.isDirectory(directory)) {
                continue; // a build output (target/lib): no page links into it
            }
            Path output = Path.of(text(set, "outputDirectory"));
            try (Stream<Path> walk = Files.walk(directory)) {
                walk.filter(Files::isRegularFile).forEach(f -> out.add(output.resolve(directory.relativize(f)).normalize().toString()));
            }
        }
        return out;
    }

    private static String text(Element parent, String tag) {
        return parent.getElementsByTagName(tag).item(0).getTextContent().trim();
    }
}
