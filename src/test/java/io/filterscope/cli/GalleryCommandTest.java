package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gallery}'s report of what it rendered. */
class GalleryCommandTest {

    @Test
    void oneFilterAndOneImageAreSaidInTheSingular(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1",
                "--filters", "0", "--steps", "3", "--out", dir.resolve("one.png").toString());
        assertTrue(out.contains(": 1 filter of conv1 in ") && out.contains(" ms per step of 1 image)"), out);
    }
}
