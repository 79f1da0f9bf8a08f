package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.image.PngFiles;
import io.filterscope.model.FixtureModels;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.OptionSpec;

/** rerun repeats what a PNG asks only when it is a rendering command that opens no file the PNG names. */
class RerunCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rerunRefusesAPngWhoseCommandIsNoRenderingCommand(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        for (List<String> command : List.of(List.of("quality", "--model", "tiny"), List.of("train", "--dataset", "mnist"),
                List.of("serve", "--port", "18300"), List.of("models"))) {
            Path png = png(dir, command);
            CommandLine.Failure f = CommandLine.fail("rerun", png.toString(), "--models", dir.toString());
            assertEquals("rerun: " + png + " asks for the command '" + command.get(0)
                    + "'; rerun repeats only gallery, classes, activations and attribution", f.message());
            assertFalse(f.printed().contains("rerunning"), f.printed());
        }
    }

    /** Every option of a rendering command whose value is a file or folder, as picocli declares it, is refused. */
    @Test
    void rerunRefusesAPngWhoseCommandNamesAFileOrFolder(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        int checked = 0;
        for (String name : CommandSupport.RERUNNABLE) {
            for (OptionSpec option : Main.commandLine().getSubcommands().get(name).getCommandSpec().options()) {
                if (!RerunCommand.namesAFile(option)) {
                    continue;
                }
                checked++;
                for (List<String> written : List.of(List.of(option.longestName(), "/tmp/elsewhere"),
                        List.of(option.longestName() + "=/tmp/elsewhere"))) {
                    List<String> command = new ArrayList<>(List.of(name, "--model", "tiny"));
                    command.addAll(written);
                    Path png = png(dir, command);
                    CommandLine.Failure f = CommandLine.fail("rerun", png.toString(), "--models", dir.toString());
                    assertTrue(f.message().startsWith("rerun: " + png + " asks " + name + " to open " + option.longestName()
                            + " /tmp/elsewhere; rerun opens no file or folder a PNG names"), f.message());
                }
            }
        }
        assertTrue(checked >= 7, "--models and --out of each, --image of activations and attribution, --checker of classes: " + checked);
        Path at = png(dir, List.of("gallery", "--model", "tiny", "--layer", "@" + dir.resolve("args.txt")));
        assertTrue(CommandLine.fail("rerun", at.toString(), "--models", dir.toString()).message()
                .startsWith("rerun: " + at + " asks gallery to read arguments from the file " + dir.resolve("args.txt")), "picocli's @-files");
    }

    /** The page's start message is held to the run fields' bounds (the settings schema's), not to those of an int. */
    @Test
    void rerunOfAPagePngWithANumberBeyondItsBoundsNamesTheBounds(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String start = "{\"model\":\"tiny\",\"objective\":{\"type\":\"channel\",\"layer\":\"conv2\",\"filter\":7},\"size\":32,"
                + "\"steps\":6,\"seed\":3}";
        Path png = dir.resolve("page.png");
        for (String[] bad : new String[][] {{"\"steps\":6", "\"steps\":1e12", "\"steps\" must be a whole number from 1 to 100000, got 1000000000000"},
                {"\"steps\":6", "\"steps\":3000000000", "\"steps\" must be a whole number from 1 to 100000, got 3000000000"},
                {"\"steps\":6", "\"steps\":0", "\"steps\" must be a whole number from 1 to 100000, got 0"},
                {"\"steps\":6", "\"steps\":2.5", "\"steps\" must be a whole number from 1 to 100000, got 2.5"},
                {"\"steps\":6", "\"steps\":1e400", "\"steps\" must be a whole number from 1 to 100000, got a number beyond a double's range"},
                {"\"size\":32", "\"size\":4096", "\"size\" must be a whole number from 8 to 512, got 4096"},
                {"\"seed\":3", "\"seed\":\"x\"", "\"seed\" must be a whole number from -2147483648 to 2147483647, got \"x\""}}) {
            PngFiles.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), Map.of("filterscope:start", start.replace(bad[0], bad[1])), png);
            assertEquals("rerun: " + png + ": its filterscope:start text chunk's " + bad[2],
                    CommandLine.fail("rerun", png.toString(), "--models", dir.toString()).message());
        }
    }

    private static Path png(Path dir, List<String> command) throws Exception {
        Path png = Files.createTempFile(dir, "made-", ".png");
        PngFiles.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), Map.of("filterscope:command", JSON.writeValueAsString(command)), png);
        return png;
    }
}
