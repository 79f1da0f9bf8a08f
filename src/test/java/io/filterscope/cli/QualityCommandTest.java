package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quality}: which presets it renders, and a PNG per layer and preset. */
class QualityCommandTest {

    /** Without a learned prior, data-prior is natural (Presets.dataPrior), so the default comparison is one run. */
    @Test
    void onAModelWithoutAPriorTheDefaultIsRenderedOnceAsNatural(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String printed = CommandLine.run("quality", "--models", dir.toString(), "--model", "tiny", "--layers", "conv1",
                "--filters", "2", "--steps", "2", "--out", dir.resolve("q").toString());
        assertTrue(printed.contains("tiny has no learned prior at 28 px: data-prior is natural there, rendered once as natural"), printed);
        assertTrue(printed.lines().anyMatch(l -> l.startsWith("conv1") && l.contains(" natural ")), printed);
        assertFalse(printed.lines().anyMatch(l -> l.startsWith("conv1") && l.contains(" data-prior ")), printed);
        assertTrue(Files.exists(dir.resolve("q").resolve("tiny-conv1-natural.png")));
        assertFalse(Files.exists(dir.resolve("q").resolve("tiny-conv1-data-prior.png")));
    }

    /** Asked for without natural, data-prior where there is no prior is rendered, listed and recorded as the natural it is. */
    @Test
    void dataPriorWithoutAPriorIsListedAndRecordedAsNatural(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String printed = CommandLine.run("quality", "--models", dir.toString(), "--model", "tiny", "--layers", "conv1",
                "--filters", "2", "--steps", "2", "--presets", "data-prior,plain", "--out", dir.resolve("q").toString());
        assertTrue(printed.contains("tiny has no learned prior at 28 px: data-prior is natural there\n"), printed);
        assertTrue(printed.lines().anyMatch(l -> l.startsWith("conv1") && l.contains(" natural ")), printed);
        assertFalse(printed.lines().anyMatch(l -> l.startsWith("conv1") && l.contains(" data-prior ")), printed);
        Path png = dir.resolve("q").resolve("tiny-conv1-natural.png");
        assertEquals("natural", io.filterscope.image.PngFiles.readText(png).get("filterscope:preset"));
        assertTrue(Files.exists(dir.resolve("q").resolve("tiny-conv1-plain.png")));
    }

    /** With its prior, at the prior's size, data-prior is a run of its own beside natural. */
    @Test
    void onABundledModelAtItsPriorsSizeBothPresetsAreRendered(@TempDir Path dir) throws Exception {
        String printed = CommandLine.run("quality", "--models", "models", "--model", "fashion-cnn", "--layers", "conv1",
                "--filters", "2", "--steps", "2", "--out", dir.toString());
        assertFalse(printed.contains("no learned prior"), printed);
        assertTrue(printed.contains("conv1: data-prior against natural: robust activation x"), printed);
        assertTrue(Files.exists(dir.resolve("fashion-cnn-conv1-data-prior.png")) && Files.exists(dir.resolve("fashion-cnn-conv1-natural.png")));
    }

    @Test
    void aMistakeInTheLayersIsOneLineBeforeAnyOfTheTable(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        CommandLine.Failure unknown = CommandLine.fail("quality", "--models", dir.toString(), "--model", "tiny", "--layers", "conv1,conv9",
                "--steps", "2", "--out", dir.resolve("q").toString());
        assertTrue(unknown.message().contains("unknown layer 'conv9'"), unknown.message());
        assertEquals("", unknown.printed());
        CommandLine.Failure tooMany = CommandLine.fail("quality", "--models", dir.toString(), "--model", "tiny", "--layers", "conv1",
                "--filters", "99", "--out", dir.resolve("q").toString());
        assertTrue(tooMany.message().contains("quality: --filters must be between 1 and 32, got 99"), tooMany.message());
        assertEquals("", tooMany.printed());
        assertFalse(Files.exists(dir.resolve("q")), "no output folder made");
        Path file = Files.writeString(dir.resolve("q.txt"), "a file");
        CommandLine.Failure underFile = CommandLine.fail("quality", "--models", dir.toString(), "--model", "tiny", "--layers", "conv1",
                "--out", file.toString());
        assertEquals("quality: cannot create output directory " + file + ": " + file.toAbsolutePath() + " is a file", underFile.message());
        assertEquals("", underFile.printed());
    }

    /** Each layer's filters are one minibatch: 4,096 at 512 px (about 0.4 TB by the estimate) are refused before the table. */
    @Test
    void aMinibatchTooLargeForTheMemoryLeftIsRefusedBeforeAnyOfTheTable(@TempDir Path dir) throws Exception {
        FixtureModels.writeManyClasses(dir, "many", 28, 4096);
        CommandLine.Failure f = CommandLine.fail("quality", "--models", dir.toString(), "--model", "many", "--layers", "output",
                "--filters", "4096", "--size", "512", "--steps", "1", "--out", dir.resolve("q").toString());
        assertTrue(f.message().startsWith("quality: a minibatch of 4096 images at 512 px needs about ")
                && f.message().endsWith(" it may take here: give a smaller --filters or --size"), f.message());
        assertEquals("", f.printed());
        assertFalse(Files.exists(dir.resolve("q")), "no output folder made");
    }
}
