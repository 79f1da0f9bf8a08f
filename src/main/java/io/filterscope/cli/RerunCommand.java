package io.filterscope.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import io.filterscope.UserError;
import io.filterscope.image.PngFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rerun F.png [--out G.png]}: repeats the command that made a FilterScope PNG, with the settings
 * stored in its text chunks (model, layer, filters, seed, preset, params), so a picture can be reproduced.
 * It writes beside the input ({@code F-rerun.png}) and replaces the input only when told to.
 */
@Command(name = "rerun", mixinStandardHelpOptions = true,
        description = "Repeats the command that made a FilterScope PNG (its settings live in the PNG's text chunks).")
final class RerunCommand implements Callable<Integer> {
    /** Runs a command line, as {@code filterscope ARGS} would. */
    @FunctionalInterface
    interface CommandRunner {
        int run(String... args) throws Exception;
    }

    private final CommandRunner commands;

    @Parameters(index = "0", paramLabel = "F.png", description = "a PNG written by gallery, classes or activations")
    Path png;

    @Option(names = "--out", paramLabel = "G.png", description = "where to write (default: F-rerun.png beside F.png)")
    Path out;

    @Option(names = "--overwrite", description = "allow --out to be F.png itself")
    boolean overwrite;

    @Mixin
    ModelsDir models;

    RerunCommand(CommandRunner commands) {
        this.commands = commands;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> text;
        try {
            text = PngFiles.readText(png);
        } catch (IOException e) {
            throw new UserError("rerun: " + e.getMessage());
        }
        String stored = text.get(CommandSupport.COMMAND_KEY);
        if (stored == null) {
            throw new UserError("rerun: " + png + " has no FilterScope settings (no " + CommandSupport.COMMAND_KEY + " text chunk)");
        }
        List<String> command;
        try {
            command = new ArrayList<>(CommandSupport.JSON.readValue(stored, new TypeReference<List<String>>() { }));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError("rerun: " + png + ": its " + CommandSupport.COMMAND_KEY + " text chunk is not a JSON list of words ("
                    + UserError.why(e) + ")");
        }
        if (command.isEmpty() || command.get(0).equals("rerun")) {
            throw new UserError("rerun: " + png + " holds no command to repeat");
        }
        Path target = out != null ? out : png.resolveSibling(png.getFileName().toString().replaceFirst("(?i)\\.png$", "") + "-rerun.png");
        if (!overwrite && Files.exists(target) && Files.isSameFile(target, png)) {
            throw new UserError("rerun: --out " + target + " is the input itself; add --overwrite to replace it");
        }
        command.addAll(List.of("--out", target.toString()));
        if (models.given()) {
            command.addAll(List.of("--models", models.dir().toString()));
        }
        System.out.println("rerunning: " + String.join(" ", command.subList(0, Math.min(5, command.size()))) + " ...");
        return commands.run(command.toArray(new String[0]));
    }
}
