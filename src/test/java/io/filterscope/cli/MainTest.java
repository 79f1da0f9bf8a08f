package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.image.PngFiles;
import io.filterscope.model.FixtureModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @Test
    void modelsListsLayersWithChannelsAndShapes(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("models", "--models", dir.toString());
        assertTrue(out.contains("tiny") && out.contains("conv4") && out.contains("channels 64") && out.contains("[64, 8, 8]"), out);
    }

    @Test
    void modelsListsEveryVertexOfAGraphWithChannelsAndShapes(@TempDir Path dir) throws Exception {
        FixtureModels.writeGraph(dir, "graph");
        String out = CommandLine.run("models", "--models", dir.toString());
        assertTrue(out.contains("res ") && out.contains("add") && out.contains("concat") && out.contains("channels 15")
                && out.contains("[15, 10, 10]") && out.contains("batchnorm") && out.contains("[4, 12, 12]"), out);
    }

    @Test
    void galleryRendersTheFiltersOfAResidualAdditionInABgrGraph(@TempDir Path dir) throws Exception {
        FixtureModels.writeGraph(dir, "graph");
        Path png = dir.resolve("res.png");
        String out = CommandLine.run("gallery", "--models", dir.toString(), "--model", "graph", "--layer", "res",
                "--filters", "0-3", "--steps", "5", "--out", png.toString());
        assertTrue(out.contains("4 filters of res"), out);
        assertTrue(Files.size(png) > 0);
    }

    @Test
    void galleryWritesAPngThatRerunReproduces(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Path png = dir.resolve("g.png");
        String out = CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv2",
                "--filters", "0-5", "--steps", "6", "--seed", "3", "--out", png.toString());
        assertTrue(out.contains("6 filters of conv2"), out);
        // The time per step leaves out what comes before the first step (compiling, scoring start pictures).
        assertTrue(out.matches("(?s).*6 filters of conv2 in [0-9.]+ s \\(first step after [0-9.]+ s, then [0-9.]+ ms per step of 6 images\\).*"), out);
        Map<String, String> text = PngFiles.readText(png);
        assertEquals("tiny", text.get("filterscope:model"));
        assertEquals("conv2", text.get("filterscope:layer"));
        assertEquals("[0,1,2,3,4,5]", text.get("filterscope:filters"));
        assertEquals("3", text.get("filterscope:seed"));
        assertTrue(text.get("filterscope:params").contains("\"blurSigma\""));

        Path again = dir.resolve("again.png");
        CommandLine.run("rerun", png.toString(), "--out", again.toString(), "--models", dir.toString());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(png), Files.readAllBytes(again)),
                "re-running from the PNG gives the same picture");
        byte[] original = Files.readAllBytes(png);
        CommandLine.run("rerun", png.toString(), "--models", dir.toString());
        assertTrue(java.util.Arrays.equals(original, Files.readAllBytes(dir.resolve("g-rerun.png"))), "by default beside the input");
        assertMessage("add --overwrite", "rerun", png.toString(), "--out", png.toString(), "--models", dir.toString());
        CommandLine.run("rerun", png.toString(), "--out", png.toString(), "--overwrite", "--models", dir.toString());
        assertTrue(java.util.Arrays.equals(original, Files.readAllBytes(png)), "replaced only when asked, with the same picture");
    }

    /**
     * The page's Save PNG keeps its run's start message (filterscope:start, with the step saved): rerun renders that
     * filter again with gallery, with the run's size, steps, seed, preset and params, and says which step it renders to.
     */
    @Test
    void rerunOfThePagesPngRendersItsStartMessageWithGallery(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Path png = dir.resolve("r1-step4.png");
        String start = "{\"model\":\"tiny\",\"objective\":{\"type\":\"channel\",\"layer\":\"conv2\",\"filter\":7},\"size\":32,"
                + "\"steps\":6,\"seed\":3,\"pace\":25,\"preset\":\"seed-smooth\",\"params\":{\"blurSigma\":1.5},\"step\":4}";
        PngFiles.write(new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_INT_RGB),
                Map.of("filterscope:start", start), png);
        Path again = dir.resolve("again.png");
        String out = CommandLine.run("rerun", png.toString(), "--out", again.toString(), "--models", dir.toString());
        assertTrue(out.contains("rerun: the page saved step 4 of 6; the rerun renders all 6"), out);
        Map<String, String> text = PngFiles.readText(again);
        assertEquals("conv2", text.get("filterscope:layer"));
        assertEquals("[7]", text.get("filterscope:filters"));
        assertEquals("3", text.get("filterscope:seed"));
        assertEquals("seed-smooth", text.get("filterscope:preset"));
        assertTrue(text.get("filterscope:params").contains("\"blurSigma\":1.5"), text.get("filterscope:params"));
        assertEquals("32", text.get("filterscope:size"));
        assertEquals("6", text.get("filterscope:steps"));

        PngFiles.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB),
                Map.of("filterscope:start", start.replace("\"channel\"", "\"deepdream\"")), png);
        assertMessage("rerun: " + png + " was saved by the page from a run with a deepdream objective, which no command renders",
                "rerun", png.toString(), "--models", dir.toString());
    }

    @Test
    void rerunOfAPngWhoseCommandIsNotJsonSaysSoInOneLineNamingIt(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("odd.png");
        PngFiles.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB),
                Map.of("filterscope:command", "not json ["), png);
        CommandLine.Failure f = CommandLine.fail("rerun", png.toString(), "--models", dir.toString());
        assertTrue(f.message().startsWith("rerun: " + png + ": its filterscope:command text chunk is not a JSON list of words ("),
                f.message());
        assertFalse(f.message().contains("Source:"), f.message());
        // JSON of another shape is said in our words, not Jackson's ("Cannot construct instance of `java.util.ArrayList`").
        PngFiles.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB),
                Map.of("filterscope:command", "\"not a list\""), png);
        assertEquals("rerun: " + png + ": its filterscope:command text chunk is not a JSON list of words (it holds a JSON string)",
                CommandLine.fail("rerun", png.toString(), "--models", dir.toString()).message());
        PngFiles.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB),
                Map.of("filterscope:command", "[\"gallery\", 3]"), png);
        assertEquals("rerun: " + png + ": its filterscope:command text chunk is not a JSON list of words (item 2 is 3, not a string)",
                CommandLine.fail("rerun", png.toString(), "--models", dir.toString()).message());
    }

    @Test
    void outWritesAJpegForJpgAndRefusesOtherExtensions(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Path jpg = dir.resolve("g.jpg");
        CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-3",
                "--steps", "2", "--out", jpg.toString());
        byte[] bytes = Files.readAllBytes(jpg);
        assertTrue(bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xD8, "a JPEG starts with FF D8");
        assertTrue(javax.imageio.ImageIO.read(jpg.toFile()).getWidth() > 28);
        assertMessage("gallery: --out must end in .png, .jpg or .jpeg", "gallery", "--models", dir.toString(), "--model", "tiny",
                "--layer", "conv1", "--out", dir.resolve("g.gif").toString());
        assertTrue(Files.notExists(dir.resolve("g.gif")));
    }

    @Test
    void aBackwardFilterRangeIsRefusedShowingTheRangeTheOtherWayRound(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        assertMessage("--filters: the range 5-2 runs backwards (write 2-5)", "gallery", "--models", dir.toString(), "--model", "tiny",
                "--layer", "conv2", "--filters", "1,5-2");
        assertMessage("--filters must look like 0-63 or 1,4,9-12, got '5-x'", "gallery", "--models", dir.toString(), "--model", "tiny",
                "--layer", "conv2", "--filters", "5-x");
    }

    @Test
    void anOutUnderAFileIsRefusedBeforeAnyWorkNamingTheFile(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Path file = Files.writeString(dir.resolve("notes.txt"), "a file");
        CommandLine.Failure f = CommandLine.fail("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1",
                "--out", file.resolve("sub").resolve("g.png").toString());
        assertEquals("gallery: cannot create output directory " + file.resolve("sub").toAbsolutePath() + ": " + file.toAbsolutePath()
                + " is a file", f.message());
        assertEquals("", f.printed(), "nothing rendered");
    }

    @Test
    void anOutInAFolderThatTakesNoFileIsRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        // /proc takes no new file, even for root (who passes permission bits).
        CommandLine.Failure f = CommandLine.fail("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1",
                "--out", "/proc/x.png");
        assertEquals("gallery: cannot write to /proc: no such file or directory", f.message());
        assertEquals("", f.printed(), "nothing rendered");
    }

    /** {@code classes}' table sizes its columns to the model's class names, so long names do not push a row out of line. */
    @Test
    void classesLinesUpItsTableWhateverTheLengthOfTheNames(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "named", java.util.List.of("sky", "a much longer class name", "plant", "building", "flag",
                "food", "face", "hand", "heart", "shape", "symbol tile"));
        String out = CommandLine.run("classes", "--models", dir.toString(), "--model", "named", "--steps", "2",
                "--out", dir.resolve("c.png").toString());
        java.util.List<String> rows = out.lines().filter(l -> l.contains(" -> predicted ")).toList();
        assertEquals(11, rows.size(), out);
        assertEquals(1, rows.stream().map(l -> l.indexOf(" -> predicted ")).distinct().count(), out);
        assertEquals(1, rows.stream().map(l -> l.indexOf(" p=")).distinct().count(), out);
    }

    /** Without {@code --checker}, {@code classes} says the naming check was not made, not a bare dash. */
    @Test
    void classesSaysWhichChecksItCouldNotMake(@TempDir Path dir) throws Exception {
        String out = CommandLine.run("classes", "--models", "models", "--model", "mnist-cnn", "--steps", "2",
                "--out", dir.resolve("c.png").toString());
        java.util.List<String> rows = out.lines().filter(l -> l.startsWith("class ") && l.contains(" (a) ")).toList();
        assertEquals(10, rows.size(), out);
        assertTrue(rows.stream().allMatch(l -> l.contains("(a) named: not checked (no --checker)")), out);
        assertTrue(out.contains("checks: (a) named: not checked (no --checker), (b) smooth "), out);
        // (b) and (c) were checked (mnist-cnn has training-picture statistics): only the sum of all three is missing.
        assertTrue(out.matches("(?s).*\\(b\\) smooth \\d+/10, \\(c\\) contrast \\d+/10, all three not counted without \\(a\\)\\R.*"), out);
    }

    @Test
    void classesReadsItsCheckerBeforeRenderingAnything(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        CommandLine.Failure f = CommandLine.fail("classes", "--models", dir.toString(), "--model", "tiny", "--steps", "2",
                "--checker", dir.resolve("missing.json").toString(), "--out", dir.resolve("c.png").toString());
        assertTrue(f.message().contains("missing.json: cannot read the checker"), f.message());
        assertEquals("", f.printed(), "no class rendered, fed back or printed first");
    }

    @Test
    void galleryHelpGivesAllFiltersAsTheDefaultNotARange() throws Exception {
        String help = CommandLine.run("gallery", "--help");
        assertFalse(help.contains("--filters=0-63"), help);
        assertTrue(help.contains("--filters=LIST") && help.contains("(default: all)"), help);
    }

    @Test
    void everyCommandAnswersHelpAndMistypedFlagsGetSuggestions() throws Exception {
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            String help = CommandLine.run(command, "--help");
            assertTrue(help.contains("Usage: filterscope " + command), command + ": " + help);
        }
        assertTrue(CommandLine.run("--help").contains("gallery"));
        assertTrue(CommandLine.run("help", "classes").contains("--preset"));
        assertMessage("; did you mean --steps?)", "gallery", "--model", "m", "--layer", "l", "--stpes", "3");
        assertMessage("unknown command 'galery' (did you mean gallery", "galery");
        assertMessage("unknown command 'nope'; commands: serve, ", "help", "nope");
        assertMessage("gallery: --model is required", "gallery", "--layer", "conv1");
        assertMessage("gallery: unknown flag --modle (known: ", "gallery", "--modle", "m", "--layer", "l");
        assertMessage("; did you mean --model or --models?)", "gallery", "--modle=m", "--layer", "l");
        assertMessage("gallery: --model and --layer are required", "gallery");
    }

    /**
     * A command mistyped by a letter added, dropped, changed or swapped with its neighbour is guessed; picocli's own
     * guess for "sevre" was "rerun or classes".
     */
    @Test
    void aNearMissOfEveryCommandSuggestsIt() {
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            if (command.equals("help")) {
                continue;
            }
            int mid = command.length() / 2;
            for (String typo : List.of(
                    command.substring(0, mid) + command.charAt(mid + 1) + command.charAt(mid) + command.substring(mid + 2),
                    command.substring(0, mid) + command.substring(mid + 1),
                    command.substring(0, mid) + command.charAt(mid) + command.substring(mid),
                    command.substring(0, mid) + (command.charAt(mid) == 'x' ? 'y' : 'x') + command.substring(mid + 1))) {
                if (typo.equals(command)) {
                    continue; // two like letters swapped ("classes")
                }
                assertMessage("unknown command '" + typo + "' (did you mean " + command + "?); commands: ", typo);
            }
        }
        assertMessage("unknown command 'sevre' (did you mean serve?)", "sevre");
        assertMessage("unknown command 'sevre' (did you mean serve?)", "help", "sevre");
        assertMessage("serve: unknown flag --prot (known: ", "serve", "--prot", "80");
        assertMessage("; did you mean --port?)", "serve", "--prot", "80");
    }

    /**
     * Every whole-number flag says so in the limit flags' words, with its bounds, a flag without its value says that, and
     * what was typed is echoed.
     */
    @Test
    void wholeNumberFlagsAndMissingValuesAreSaidAlike() {
        assertMessage("serve: --port needs a value (--port P)", "serve", "--port");
        assertMessage("serve: --port must be a whole number between 0 and 65535, got 'abc'", "serve", "--port", "abc");
        assertMessage("serve: --max-runs must be a whole number between 1 and 1024, got 'abc'", "serve", "--max-runs", "abc");
        assertMessage("gallery: --steps must be a whole number between 1 and 100000, got '1.5'", "gallery", "--model", "m", "--layer", "l", "--steps", "1.5");
        assertMessage("serve: --memory-budget must be between 0 and 1048576g, got -1g", "serve", "--memory-budget", "-1g");
    }

    /** --port 99999999999 said Java's int range (-2147483648 to 2147483647), not the port's. */
    @Test
    void aNumberBeyondAFlagsTypeIsRefusedWithTheFlagsOwnBounds() {
        assertMessage("serve: --port must be between 0 and 65535, got 99999999999", "serve", "--port", "99999999999");
        assertMessage("serve: --port must be between 0 and 65535, got 70000", "serve", "--port", "70000");
        assertMessage("bench: --concurrent must be between 1 and 1024, got 99999999999", "bench", "--concurrent", "1,99999999999");
        assertMessage("serve: --max-runs must be between 1 and 1024, got 99999999999999999999", "serve", "--max-runs", "99999999999999999999");
    }

    @Test
    void anEmptyOrAbsentModelsFolderIsAnErrorNamingIt(@TempDir Path dir) {
        assertMessage("no models in " + dir.toAbsolutePath(), "models", "--models", dir.toString());
        assertMessage("models folder " + dir.resolve("absent").toAbsolutePath() + " does not exist", "gallery", "--models", dir.resolve("absent").toString(),
                "--model", "x", "--layer", "y");
    }

    @Test
    void aTfjsModelsOwnFolderAsModelsSaysToGiveItsParent(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("mobilenet"));
        Files.writeString(model.resolve("model.json"), "{}");
        assertMessage(model.toAbsolutePath() + " is one TF.js model's folder (it holds model.json): give the folder that holds it, --models "
                + dir.toAbsolutePath(), "models", "--models", model.toString());
    }

    @Test
    void activationsPrintsTopChannels(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 40, java.awt.image.BufferedImage.TYPE_INT_RGB);
        img.getGraphics().fillRect(10, 10, 20, 20);
        Path in = dir.resolve("in.png");
        javax.imageio.ImageIO.write(img, "png", in.toFile());
        String out = CommandLine.run("activations", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1",
                "--image", in.toString(), "--out", dir.resolve("a.png").toString());
        assertTrue(out.contains("32 channels of 26x26") && out.contains("top channels"), out);
        assertTrue(Files.size(dir.resolve("a.png")) > 1000);
    }

    @Test
    void badInputGivesOneLineErrorsNamingWhatWasWrong(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String models = dir.toString();
        assertMessage("unknown command 'paint'", "paint");
        assertMessage("unknown flag --colour", "models", "--colour", "red");
        assertMessage("unknown model 'nope'", "gallery", "--models", models, "--model", "nope", "--layer", "conv1");
        assertMessage("unknown layer 'conv9'", "gallery", "--models", models, "--model", "tiny", "--layer", "conv9");
        assertMessage("filter 99 is out of range", "gallery", "--models", models, "--model", "tiny", "--layer", "conv1", "--filters", "0-99");
        assertMessage("gallery: --steps must be a whole number between 1 and 100000, got 'many'", "gallery", "--models", models, "--model", "tiny", "--layer", "conv1", "--steps", "many");
        assertMessage("unknown param 'blur'", "gallery", "--models", models, "--model", "tiny", "--layer", "conv1", "--params", "{\"blur\":1}");
        assertMessage("--params is not valid JSON", "gallery", "--models", models, "--model", "tiny", "--layer", "conv1", "--params", "{");
        Files.write(dir.resolve("junk.png"), new byte[] {1, 2, 3, 4, 5});
        assertMessage("not an image", "activations", "--models", models, "--model", "tiny", "--layer", "conv1", "--image", dir.resolve("junk.png").toString());
        assertMessage("none.png: no such file", "activations", "--models", models, "--model", "tiny", "--layer", "conv1", "--image", dir.resolve("none.png").toString());
        Path plain = dir.resolve("plain.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", plain.toFile());
        assertMessage("has no FilterScope settings", "rerun", plain.toString());
        assertMessage("junk.png", "rerun", dir.resolve("junk.png").toString());
    }

    @Test
    void anInputFileThatIsAFolderOrMissingIsNamedWithWhy(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String models = dir.toString();
        assertMessage(dir + ": is a directory, not an image", "activations", "--models", models, "--model", "tiny", "--layer", "conv1",
                "--image", models);
        assertMessage(dir + ": is a directory, not an image", "attribution", "--models", models, "--model", "tiny", "--image", models);
        assertMessage("rerun: " + dir + ": is a directory, not a PNG file", "rerun", models);
        assertMessage("rerun: " + dir.resolve("none.png") + ": no such file", "rerun", dir.resolve("none.png").toString());
        assertMessage(dir.resolve("none.json") + ": cannot read the checker (no such file)", "classes", "--models", models,
                "--model", "tiny", "--checker", dir.resolve("none.json").toString());
        assertMessage(dir + ": cannot read the checker (is a directory, not a checker description)", "classes",
                "--models", models, "--model", "tiny", "--checker", models);
    }

    @Test
    void aCheckerThatIsNoJsonOrLacksItsNetworkIsNamedWithWhyOnOneLine(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String models = dir.toString();
        Path text = Files.writeString(dir.resolve("text.json"), "not json");
        assertMessage(text + ": cannot read the checker (not JSON: Unrecognized token 'not'", "classes", "--models", models,
                "--model", "tiny", "--checker", text.toString());
        Path binary = Files.write(dir.resolve("binary.json"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertMessage(binary + ": cannot read the checker (not UTF-8 text: a checker description is JSON)", "classes",
                "--models", models, "--model", "tiny", "--checker", binary.toString());
        Path lonely = Files.writeString(dir.resolve("lonely.json"), "{\"file\":\"gone.onnx\",\"inputShape\":[1,28,28],\"classes\":[\"a\"]}");
        assertMessage(lonely + ": cannot read the checker's network " + dir.resolve("gone.onnx") + " (no such file)", "classes",
                "--models", models, "--model", "tiny", "--checker", lonely.toString());
    }

    @Test
    void paramsThatAreNoJsonAreRefusedWithAnExampleNotTheParsersWords(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        assertMessage("--params is not valid JSON (at character 2 of {bad); give an object such as '{\"blurSigma\":1,\"jitter\":2}'",
                "gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--params", "{bad");
    }

    @Test
    void aFileThatCannotBeWrittenIsNamedWithWhy() {
        assertEquals("/proc/x.png: no such file or directory", Main.describe(new java.nio.file.NoSuchFileException("/proc/x.png")));
        assertEquals("/root/x.png: permission denied", Main.describe(new java.nio.file.AccessDeniedException("/root/x.png")));
        assertEquals("disk full", Main.describe(new java.io.IOException("disk full")));
    }

    private static void assertMessage(String expected, String... args) {
        UserError e = assertThrows(UserError.class, () -> Main.run(args));
        assertTrue(e.getMessage().contains(expected) && !e.getMessage().contains("\n"),
                "expected '" + expected + "' in: " + e.getMessage());
    }

    /** Whatever ends a command, it says why in one line: running out of memory too, not a stack trace. */
    @Test
    void everyEndIsOneLineWithItsExitStatus() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream err = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, Main.report(new OutOfMemoryError("Cannot allocate 1048576 + 1024 bytes\n(a second line)"), err));
        assertEquals(2, Main.report(new io.filterscope.UserError("gallery: --steps must be between 1 and 5000, got 0"), err));
        assertEquals(1, Main.report(new java.nio.file.NoSuchFileException("/nowhere/x.png"), err));
        assertEquals(1, Main.report(new IllegalStateException("a bug"), err));
        assertEquals(130, Main.report(new InterruptedException(), err));
        assertEquals(List.of(
                "filterscope: out of memory: Cannot allocate 1048576 + 1024 bytes (give fewer images or a smaller size, or the process more memory)",
                "filterscope: gallery: --steps must be between 1 and 5000, got 0",
                "filterscope: /nowhere/x.png: no such file or directory",
                "filterscope: unexpected error: java.lang.IllegalStateException: a bug"),
                bytes.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList());
    }
}
