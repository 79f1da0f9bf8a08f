package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code models}: the listing stays readable for models named and sized as exported networks are. */
class ModelsCommandTest {

    @Test
    void layerColumnsStayAlignedWhenANameIsLongerThanTheColumn(@TempDir Path dir) throws Exception {
        String longName = "/features/features.0/block/Conv_output_0";
        FixtureModels.writeLeNet(dir, "paths", net -> net.getLayerWiseConfigurations().getConf(0).getLayer().setLayerName(longName));
        String out = CommandLine.run("models", "--models", dir.toString());
        List<String> rows = out.lines().filter(l -> l.contains(" channels ")).toList();
        assertTrue(rows.size() > 3 && rows.stream().anyMatch(l -> l.startsWith("  " + longName + " ")), out);
        assertEquals(1, rows.stream().mapToInt(l -> l.indexOf(" channels ")).distinct().count(), out);
    }

    @Test
    void aThousandClassesAreCountedNotAllListed(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "wide", IntStream.range(0, 1000).mapToObj(i -> "class" + i).toList());
        String line = CommandLine.run("models", "--models", dir.toString()).lines()
                .filter(l -> l.contains("classes")).findFirst().orElse("");
        assertTrue(line.startsWith("  classes (1000): class0, class1, ") && line.contains("class19, and 980 more"), line);
        assertTrue(!line.contains("class20,"), line);
    }
}
