package io.filterscope.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import io.filterscope.UserError;
import io.filterscope.image.PngFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code rerun F.png [--out G.png]}: repeats the command that made a FilterScope PNG, with the settings
 * stored in its text chunks (model, layer, filters, seed, params), so a picture can be reproduced.
 */
final class RerunCommand {
    private RerunCommand() {
    }

    static int run(String[] args) throws Exception {
        Flags flags = Flags.parse("rerun", args, Set.of("out", "models"), Set.of());
        if (flags.positional().size() != 1) {
            throw new UserError("rerun: give one PNG made by FilterScope, e.g. rerun gallery.png --out again.png");
        }
        Path png = Path.of(flags.positional().get(0));
        Map<String, String> text;
        try {
            text = PngFiles.readText(png);
        } catch (NoSuchFileException e) {
            throw new UserError("rerun: no such file: " + png);
        } catch (IOException e) {
            throw new UserError("rerun: " + e.getMessage());
        }
        String stored = text.get(CommandSupport.COMMAND_KEY);
        if (stored == null) {
            throw new UserError("rerun: " + png + " has no FilterScope settings (no " + CommandSupport.COMMAND_KEY + " text chunk)");
        }
        List<String> command = new ArrayList<>(CommandSupport.JSON.readValue(stored, new TypeReference<List<String>>() { }));
        if (command.isEmpty() || command.get(0).equals("rerun")) {
            throw new UserError("rerun: " + png + " holds no command to repeat");
        }
        command.addAll(List.of("--out", flags.string("out", png.toString())));
        if (flags.has("models")) {
            command.addAll(List.of("--models", flags.string("models", "models")));
        }
        System.out.println("rerunning: " + String.join(" ", command.subList(0, Math.min(5, command.size()))) + " ...");
        return Main.run(command.toArray(new String[0]));
    }
}
