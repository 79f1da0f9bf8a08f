package io.filterscope.model.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a class index in Keras' layout, {@code {"0": ["n01440764", "tench"], "1": [...], ...}}, into the
 * class names in index order, with Keras' underscores shown as spaces ("great white shark").
 */
public final class ImageNetLabels {
    private ImageNetLabels() {
    }

    public static List<String> read(Path file, int count) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not a class index (" + UserError.why(e) + ")");
        }
        if (root == null || !root.isObject() || root.size() != count) {
            throw new IOException(file + ": expected a JSON object with " + count + " classes");
        }
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            JsonNode entry = root.get(Integer.toString(i));
            if (entry == null || !entry.isArray() || entry.size() != 2 || !entry.get(1).isTextual()) {
                throw new IOException(file + ": class " + i + " is not [\"wordnet id\", \"name\"]");
            }
            names.add(entry.get(1).asText().replace('_', ' '));
        }
        return names;
    }
}
