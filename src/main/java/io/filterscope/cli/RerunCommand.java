package io.filterscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.UserError;
import io.filterscope.engine.preset.Param;
import io.filterscope.engine.preset.Params;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rerun F.png [--out G.png]}: repeats the command that made a FilterScope PNG, with the settings
 * stored in its text chunks (model, layer, filters, seed, preset, params), so a picture can be reproduced. A PNG the
 * page saved holds its run's start message instead ({@value #START_KEY}), which is rendered again by the command that
 * renders its objective ({@link #fromStart}). It writes beside the input ({@code F-rerun.png}) and replaces the input
 * only when told to.
 */
@Command(name = "rerun", mixinStandardHelpOptions = true,
        description = "Repeats the command that made a FilterScope PNG (its settings live in the PNG's text chunks).")
final class RerunCommand implements Callable<Integer> {
    /** PNG text chunk in which the page's Save PNG keeps its run's start message, with the step saved (webroot/app.js). */
    static final String START_KEY = "filterscope:start";

    /** Runs a command line, as {@code filterscope ARGS} would. */
    @FunctionalInterface
    interface CommandRunner {
        int run(String... args) throws Exception;
    }

    private final CommandRunner commands;

    @Parameters(index = "0", paramLabel = "F.png", description = "a PNG written by gallery, classes or activations, or saved by the page")
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
        List<String> command = stored != null ? storedCommand(stored)
                : text.containsKey(START_KEY) ? fromStart(text.get(START_KEY)) : null;
        if (command == null) {
            throw new UserError("rerun: " + png + " has no FilterScope settings (no " + CommandSupport.COMMAND_KEY
                    + " or " + START_KEY + " text chunk)");
        }
        repeatable(command);
        Path target = out != null ? out : png.resolveSibling(png.getFileName().toString().replaceFirst("(?i)\\.png$", "") + "-rerun.png");
        if (!overwrite && Files.exists(target) && Files.isSameFile(target, png)) {
            throw new UserError("rerun: --out " + target + " is the input itself; add --overwrite to replace it");
        }
        command.addAll(List.of("--out", target.toString()));
        if (models.given()) {
            command.addAll(List.of("--models", models.dir().toString()));
        }
        System.out.println("rerunning: " + shown(String.join(" ", command.subList(0, Math.min(5, command.size())))) + " ...");
        return commands.run(command.toArray(new String[0]));
    }

    /**
     * Refuses, in one line, what a PNG may ask but rerun will not do on a file's word (a PNG can come from anyone): a
     * command other than those whose PNGs keep their command line ({@link CommandSupport#RERUNNABLE}), an option whose
     * value is a file or folder ({@link #namesAFile}: {@code --models}, {@code --image}, {@code --checker}, {@code --out}),
     * and a word picocli would read as a file of arguments ({@code @FILE}). What rerun reads and writes is named by
     * whoever runs it ({@code rerun --models DIR --out G.png}).
     */
    private void repeatable(List<String> command) {
        String name = command.get(0);
        if (!CommandSupport.RERUNNABLE.contains(name)) {
            List<String> names = CommandSupport.RERUNNABLE;
            throw new UserError("rerun: " + png + " asks for the command '" + shown(name) + "'; rerun repeats only "
                    + String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1));
        }
        CommandSpec spec = Main.commandLine().getSubcommands().get(name).getCommandSpec();
        for (int i = 1; i < command.size(); i++) {
            String word = command.get(i);
            if (word.startsWith("@")) {
                throw new UserError("rerun: " + png + " asks " + name + " to read arguments from the file " + shown(word.substring(1))
                        + "; rerun opens no file or folder a PNG names");
            }
            String[] flag = word.split("=", 2);
            OptionSpec option = word.startsWith("-") ? spec.findOption(flag[0]) : null;
            if (option != null && namesAFile(option)) {
                String value = flag.length > 1 ? flag[1] : i + 1 < command.size() ? command.get(i + 1) : "";
                throw new UserError("rerun: " + png + " asks " + name + " to open " + option.longestName() + " " + shown(value)
                        + "; rerun opens no file or folder a PNG names (run " + name + " yourself to use it)");
            }
        }
    }

    /** Whether an option's value names a file or folder, as its declared type says ({@link Path} or {@link java.io.File}). */
    static boolean namesAFile(OptionSpec option) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(option.type()), java.util.Arrays.stream(option.auxiliaryTypes()))
                .anyMatch(t -> Path.class.isAssignableFrom(t) || java.io.File.class.isAssignableFrom(t));
    }

    /** Text from a PNG as it may be printed: control characters (a terminal's escape sequences) as Java escapes them (backslash, u, four hex digits). */
    private static String shown(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.toString();
    }

    /** The command line a command's PNG keeps ({@link CommandSupport#COMMAND_KEY}). @throws UserError when it is none */
    private List<String> storedCommand(String stored) {
        String chunk = "rerun: " + png + ": its " + CommandSupport.COMMAND_KEY + " text chunk is not a JSON list of words";
        com.fasterxml.jackson.databind.JsonNode node;
        try {
            node = CommandSupport.JSON.readTree(stored);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError(chunk + " (not JSON: " + UserError.why(e) + ")");
        }
        // Said in our words: Jackson's for JSON of another shape names its own classes ("Cannot construct instance of ...").
        if (node == null || node.isMissingNode()) {
            throw new UserError(chunk + " (it is empty)");
        }
        if (!node.isArray()) {
            throw new UserError(chunk + " (it holds a JSON " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        List<String> command = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode word : node) {
            if (!word.isTextual()) {
                throw new UserError(chunk + " (item " + (command.size() + 1) + " is " + word + ", not a string)");
            }
            command.add(word.textValue());
        }
        if (command.isEmpty() || command.get(0).equals("rerun")) {
            throw new UserError("rerun: " + png + " holds no command to repeat");
        }
        return command;
    }

    /**
     * The command that renders what a start message (docs/protocol.md) asked for: {@code gallery} of its filters for a
     * channel objective (one column for one filter), {@code classes} for a class objective (every class, at the
     * model's own size: one line says so). Its steps, seed, preset and params carry over; {@code pace} changes only
     * the timing. When the page saved a step before the last, one line says the rerun renders every step.
     *
     * @throws UserError one line when the chunk is no start message, or no command renders its objective
     */
    private List<String> fromStart(String stored) {
        JsonNode start;
        try {
            start = CommandSupport.JSON.readTree(stored);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError("rerun: " + png + ": its " + START_KEY + " text chunk is not JSON (" + UserError.why(e) + ")");
        }
        JsonNode objective = start.path("objective");
        String type = objective.path("type").asText();
        if (!start.path("model").isTextual()) {
            throw new UserError("rerun: " + png + ": its " + START_KEY + " text chunk names no \"model\"");
        }
        List<String> command = new ArrayList<>();
        if (type.equals("channel") && objective.path("layer").isTextual() && (objective.has("filter") || objective.has("filters"))) {
            JsonNode filters = objective.has("filter") ? objective.get("filter") : objective.get("filters");
            List<String> each = new ArrayList<>();
            (filters.isArray() ? filters : CommandSupport.JSON.createArrayNode().add(filters)).forEach(f -> each.add(f.asText()));
            command.addAll(List.of("gallery", "--model", start.get("model").asText(), "--layer", objective.get("layer").asText(),
                    "--filters", String.join(",", each)));
            if (each.size() == 1) {
                command.addAll(List.of("--columns", "1"));
            }
            number(command, Params.SIZE, start.get("size"));
        } else if (type.equals("class")) {
            command.addAll(List.of("classes", "--model", start.get("model").asText()));
            System.out.println("rerun: the page drew class " + shown(objective.path("index").asText()) + (start.has("size")
                    ? " at " + shown(start.get("size").asText()) + " px" : "") + "; classes draws every class of the model at its own size");
        } else {
            throw new UserError("rerun: " + png + " was saved by the page from a run with a " + (type.isEmpty() ? "missing" : shown(type))
                    + " objective, which no command renders (gallery renders channel objectives, classes class ones)");
        }
        number(command, Params.STEPS, start.get("steps"));
        number(command, Params.SEED, start.get("seed"));
        option(command, "--preset", start.get("preset"));
        if (start.path("params").isObject()) {
            command.addAll(List.of("--params", start.get("params").toString()));
        }
        if (start.has("step") && start.has("steps") && start.get("step").asInt() != start.get("steps").asInt()) {
            System.out.println("rerun: the page saved step " + shown(start.get("step").asText()) + " of " + start.get("steps").asText()
                    + "; the rerun renders all " + start.get("steps").asText());
        }
        return command;
    }

    /**
     * {@code --NAME value} for a run field the message gives, a whole number within the field's bounds (the settings
     * schema's, which the server holds a start to and the commands their flags).
     *
     * @throws UserError one line with the field's bounds otherwise ({@code 1e12} steps), not an int's
     */
    private void number(List<String> command, Param<Integer> field, JsonNode value) {
        if (value == null || value.isNull()) {
            return;
        }
        java.math.BigDecimal n = value.isNumber() && Double.isFinite(value.asDouble()) ? value.decimalValue().stripTrailingZeros() : null;
        if (n == null || n.scale() > 0 || n.compareTo(java.math.BigDecimal.valueOf(field.min())) < 0
                || n.compareTo(java.math.BigDecimal.valueOf(field.max())) > 0) {
            throw new UserError("rerun: " + png + ": its " + START_KEY + " text chunk's \"" + field.name() + "\" must be "
                    + field.wholeNumbers() + ", got " + (n != null ? n.toPlainString()
                    : value.isNumber() ? "a number beyond a double's range" : shown(value.toString())));
        }
        command.addAll(List.of("--" + field.name(), n.toBigInteger().toString()));
    }

    /** {@code name value} when the message gives the value. */
    private static void option(List<String> command, String name, JsonNode value) {
        if (value != null && !value.isNull()) {
            command.addAll(List.of(name, value.asText()));
        }
    }
}
