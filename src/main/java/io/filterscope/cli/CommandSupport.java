package io.filterscope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.IndexRange;
import io.filterscope.MemorySize;
import io.filterscope.UserError;
import io.filterscope.engine.Backend;
import io.filterscope.image.ImageInput;
import io.filterscope.image.JpegFiles;
import io.filterscope.image.PngFiles;
import io.filterscope.model.LoadedModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What several commands share: filter ranges, input and output images, the memory check before rendering, and provenance for PNGs. */
final class CommandSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Larger input images are refused before decoding (decompression bombs). */
    static final int MAX_PIXELS = 40_000_000;
    /** PNG text chunk holding the command line that re-creates the image. */
    static final String COMMAND_KEY = "filterscope:command";
    /** The commands that keep their command line in their PNGs ({@link #provenance}): the only ones {@code rerun} repeats. */
    static final List<String> RERUNNABLE = List.of("gallery", "classes", "activations", "attribution");

    private CommandSupport() {
    }

    /**
     * An {@code --image} file, upright as its EXIF orientation says; PNG, JPEG, GIF or BMP.
     *
     * @throws UserError one line when the file is missing, no image, broken or over {@link #MAX_PIXELS}
     */
    static BufferedImage readImage(Path file) {
        try {
            return ImageInput.read(file, MAX_PIXELS);
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** "0-63", "3", "1,4,9-12"; every index must be below {@code count}. */
    static List<Integer> filters(String spec, long count, String layer) {
        List<Integer> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
                if (from < 0) {
                    throw new NumberFormatException();
                }
                if (to < from) {
                    throw new UserError("--filters: the range " + p + " runs backwards (write " + to + "-" + from + ")");
                }
                new IndexRange("filter", "layer " + layer, count).check(to);
                if (to - from + out.size() > 4096) {
                    throw new UserError("at most 4096 filters at once");
                }
                for (int f = from; f <= to; f++) {
                    out.add(f);
                }
            } catch (NumberFormatException e) {
                throw new UserError("--filters must look like 0-63 or 1,4,9-12, got '" + spec + "'");
            }
        }
        return out;
    }

    /**
     * {@code --out}: a .png (which keeps the settings, for {@code rerun}) or a .jpg/.jpeg in a folder that is or
     * can be made; anything else is refused before any work.
     */
    static Path output(String command, Path out) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".png") && !name.endsWith(".jpg") && !name.endsWith(".jpeg")) {
            throw new UserError(command + ": --out must end in .png, .jpg or .jpeg, got " + out);
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            directory(command, parent);
        }
        return out;
    }

    /**
     * An output folder that is or can be made: none of it or its parents is a file, and its nearest existing
     * folder takes a new file (tried with an empty file, removed at once: permission bits say nothing of
     * {@code /proc} or a read-only mount, and root passes them anyway). Not made; checked before any work, so a
     * long render is never lost to its last step.
     *
     * @throws UserError "cannot create output directory X: Y is a file", or "cannot write to X: Y: why"
     */
    static Path directory(String command, Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) {
                try {
                    Files.delete(Files.createTempFile(p, ".filterscope-", ".probe"));
                } catch (IOException e) {
                    throw new UserError(command + ": cannot write to " + dir + ": "
                            + (e instanceof java.nio.file.FileSystemException fs ? Main.why(fs) : e.getMessage()));
                }
                return dir;
            }
            if (Files.exists(p)) {
                throw new UserError(command + ": cannot create output directory " + dir + ": " + p + " is a file");
            }
        }
        return dir;
    }

    /**
     * Refuses, before anything is allocated, a minibatch whose network and run, with the network that scores the model's
     * example pictures beside them, need more native memory by the estimate ({@link LoadedModel#bytesFor(long, long,
     * Collection)}, {@link io.filterscope.model.ExampleActivations#scoringBytes}) than a run may take here ({@link
     * Backend#memoryBudget}, as the server's runs): past it a render grows until the kernel kills the process without a
     * word (48 emoji-cnn filters at 512 px in one minibatch, 20 GB by the estimate, on a 24 GB machine). Pictures are
     * scored for a start like the data's and to tell dead filters, while the render's networks are held.
     *
     * @param command   the command's name, which starts the message
     * @param minibatch images rendered at once
     * @param side      their side in pixels
     * @param layers    the layers of the minibatch's objectives (its network ends at the deepest of them)
     * @param remedy    what the user can change, which ends the message ("give a smaller --batch or --size")
     * @throws UserError one line: the images, their size, the estimate (and the scoring's share of it) and the budget,
     *                   and the remedy
     */
    static void checkMemory(String command, LoadedModel model, int minibatch, int side, Collection<String> layers, String remedy) {
        checkMemory(command, model, minibatch, side, layers, remedy, Backend.memoryBudget(0));
    }

    /** {@link #checkMemory(String, LoadedModel, int, int, Collection, String)} against {@code budget} bytes. */
    static void checkMemory(String command, LoadedModel model, int minibatch, int side, Collection<String> layers, String remedy,
                            long budget) {
        long scoring = model.exampleActivations().scoringBytes();
        long needs = model.bytesFor(minibatch, side, layers) + scoring;
        if (needs > budget) {
            throw new UserError(String.format(Locale.ROOT, "%s: a minibatch of %s at %d px needs about %s%s, more than the %s it "
                    + "may take here: %s", command, count(minibatch, "image"), side, MemorySize.of(needs),
                    scoring == 0 ? "" : " (" + MemorySize.of(scoring) + " of it to score the model's example pictures)",
                    MemorySize.of(budget), remedy));
        }
    }

    /** "1 filter", "4 filters". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** Writes the image as its file name says: PNG with the text chunks, or JPEG (which cannot keep them). */
    static void write(BufferedImage image, Map<String, String> text, Path out) throws IOException {
        if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            PngFiles.write(image, text, out);
        } else {
            JpegFiles.write(image, out);
        }
    }

    /** Text chunks for a PNG: the effective command line (so {@code rerun} can repeat it) and the key settings. */
    static Map<String, String> provenance(List<String> command, Map<String, Object> settings) {
        if (!RERUNNABLE.contains(command.get(0))) {
            throw new IllegalArgumentException(command.get(0) + " is not among the commands rerun repeats (RERUNNABLE)");
        }
        Map<String, String> text = new LinkedHashMap<>();
        try {
            text.put(COMMAND_KEY, JSON.writeValueAsString(command));
            for (Map.Entry<String, Object> e : settings.entrySet()) {
                Object v = e.getValue();
                text.put("filterscope:" + e.getKey(), v instanceof String s ? s : JSON.writeValueAsString(v));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        text.put("Software", "FilterScope");
        return text;
    }
}
