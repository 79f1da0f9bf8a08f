package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import io.filterscope.UserError;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.image.PngFiles;
import io.filterscope.model.FixtureModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gallery}'s report of what it rendered. */
class GalleryCommandTest {

    @Test
    void aLayerWithNoMapAtTheSizeIsRefusedNamingTheSmallestSizeItTakesAsARunsStartIs(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        CommandLine.Failure plain = CommandLine.fail("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "pool2",
                "--size", "8", "--filters", "0", "--steps", "2", "--preset", "plain", "--out", dir.resolve("g.png").toString());
        assertEquals("gallery: layer pool2 of tiny has no map at 8 px: a map on its way shrinks to nothing; the smallest size "
                + "it takes is 16 px", plain.message());
        assertEquals("", plain.printed());
        assertFalse(Files.exists(dir.resolve("g.png")));
    }

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
    void aMinibatchTooLargeForTheMemoryLeftIsRefusedBeforeItIsAllocated(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        // 1,024 images at 512 px to conv4: about 0.4 TB
        String filters = String.join(",", java.util.Collections.nCopies(16, "0-63"));
        UserError e = assertThrows(UserError.class, () -> CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny",
                "--layer", "conv4", "--filters", filters, "--batch", "1024", "--size", "512", "--steps", "1", "--out", dir.resolve("big.png").toString()));
        assertTrue(e.getMessage().startsWith("gallery: a minibatch of 1024 images at 512 px needs about ")
                && e.getMessage().endsWith(" it may take here: give a smaller --batch or --size"), e.getMessage());
        assertFalse(java.nio.file.Files.exists(dir.resolve("big.png")));
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

    /**
     * mnist-cnn's prior is of its own 28 px pictures: at 32 px data-prior renders as natural, with the changes asked of
     * data-prior's settings (Presets.rendered). The PNG records that, in its settings and in the command rerun repeats,
     * and rerun writes the same PNG from it.
     */
    @Test
    void dataPriorWithoutItsPriorAtThisSizeIsRecordedAsTheNaturalItRendered(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("dp.png");
        CommandLine.run("gallery", "--models", "models", "--model", "mnist-cnn", "--layer", "conv1", "--filters", "0-1", "--size", "32",
                "--steps", "2", "--preset", "data-prior", "--params", "{\"jitter\":3}", "--out", png.toString());
        Settings natural = Presets.NATURAL.defaults().with(CommandSupport.JSON.readTree("{\"jitter\":3}"));
        Map<String, String> text = PngFiles.readText(png);
        assertEquals("natural", text.get("filterscope:preset"));
        assertEquals(natural.toJson().toString(), text.get("filterscope:params"));
        List<String> command = CommandSupport.JSON.readValue(text.get(CommandSupport.COMMAND_KEY), new TypeReference<List<String>>() { });
        assertEquals("natural", command.get(command.indexOf("--preset") + 1), command.toString());
        assertEquals(natural.givenJson().toString(), command.get(command.indexOf("--params") + 1), command.toString());

        CommandLine.run("rerun", png.toString(), "--models", "models");
        assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(dir.resolve("dp-rerun.png")), "rerun's picture and settings");
    }

    /** A prior's code asked for where the model has none at the run's size renders a Fourier image, and is recorded so. */
    @Test
    void aPriorAskedForWhereThereIsNoneIsRecordedAsTheFourierImageItRendered(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("prior.png");
        CommandLine.run("gallery", "--models", "models", "--model", "mnist-cnn", "--layer", "conv1", "--filters", "0-1", "--size", "32",
                "--steps", "2", "--preset", "plain", "--params", "{\"parameterization\":\"prior\"}", "--out", png.toString());
        Map<String, String> text = PngFiles.readText(png);
        assertEquals("plain", text.get("filterscope:preset"));
        assertEquals(Presets.PLAIN.defaults().with(CommandSupport.JSON.readTree("{\"parameterization\":\"fft\"}")).toJson().toString(),
                text.get("filterscope:params"));
        CommandLine.run("rerun", png.toString(), "--models", "models");
        assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(dir.resolve("prior-rerun.png")), "rerun's picture and settings");
    }
}
