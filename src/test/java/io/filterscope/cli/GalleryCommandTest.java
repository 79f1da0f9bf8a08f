package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.image.PngFiles;
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
        String asked = CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1",
                "--filters", "0", "--steps", "3", "--batch", "3", "--out", dir.resolve("asked.png").toString());
        assertTrue(asked.contains(" ms per step of 1 image)"), "a minibatch of the one filter there is, not of --batch: " + asked);
    }

    @Test
    void theColumnsAskedForAreKeptForRerun(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Path png = dir.resolve("cols.png");
        CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-3",
                "--steps", "2", "--columns", "4", "--out", png.toString());
        assertTrue(PngFiles.readText(png).get(CommandSupport.COMMAND_KEY).contains("\"--columns\",\"4\""),
                PngFiles.readText(png).get(CommandSupport.COMMAND_KEY));
    }
}
