package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.image.Gifs;
import io.filterscope.model.FixtureModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gallery --animate}: a GIF beside the PNG, one frame per step up to the bound, then evenly spaced steps. */
class GalleryAnimateTest {


    @Test
    void animateWritesAGifOfTheGalleryFormingStepByStep(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-5",
                "--steps", "10", "--batch", "4", "--animate", "--out", dir.resolve("g.png").toString());
        assertTrue(out.contains("g.gif (10 frames)"), out);
        assertEquals(10, Gifs.frames(Files.readAllBytes(dir.resolve("g.gif"))), "one frame per step, across two minibatches");
        assertTrue(Files.size(dir.resolve("g.png")) > 0);
        assertTrue(io.filterscope.image.PngFiles.readText(dir.resolve("g.png")).get(CommandSupport.COMMAND_KEY).contains("--animate"),
                "rerun repeats the animation too");

        CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-1",
                "--steps", "32", "--animate", "--out", dir.resolve("bound.png").toString());
        assertEquals(32, Gifs.frames(Files.readAllBytes(dir.resolve("bound.gif"))), "as many steps as the bound: every one");

        CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-1",
                "--steps", "100", "--animate", "--out", dir.resolve("long.png").toString());
        // Steps 1, 5, ..., 97 and the last, 100: within the bound of 32.
        assertEquals(26, Gifs.frames(Files.readAllBytes(dir.resolve("long.gif"))));
    }
}
