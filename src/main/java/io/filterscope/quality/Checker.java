package io.filterscope.quality;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.InputFile;
import io.filterscope.UserError;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.onnx.OnnxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A second classifier, trained independently on a bundled model's data (another architecture, noise
 * augmentation) and never used for rendering, that judges whether a class image shows its class to someone
 * other than the model that made it. Read from a JSON description ({@code file}: its ONNX network beside it,
 * {@code inputShape}, {@code input} as in model metadata, {@code classes}) written by
 * {@code src/main/python/train_checkers.py}; it is not a model the server offers.
 */
public final class Checker {
    private final String id;
    private final List<String> classes;
    private final InputSpace input;
    private final int channels;
    private final int height;
    private final int width;
    private final ModelGraph graph;

    private Checker(String id, List<String> classes, InputSpace input, int channels, int height, int width, ModelGraph graph) {
        this.id = id;
        this.classes = classes;
        this.input = input;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.graph = graph;
    }

    /** Reads a checker's description and its network. @throws UserError naming the file and what is wrong */
    public static Checker read(Path description) {
        String problem = InputFile.problem(description, "a checker description");
        if (problem != null) {
            throw new UserError(description + ": cannot read the checker (" + problem + ")");
        }
        try {
            JsonNode json = new ObjectMapper().readTree(Files.readString(description));
            JsonNode shape = json.path("inputShape");
            List<String> classes = new ArrayList<>();
            json.path("classes").forEach(c -> classes.add(c.asText()));
            InputSpace space = new ObjectMapper().treeToValue(json.path("input"), InputSpace.class);
            if (shape.size() != 3 || classes.isEmpty()) {
                throw new UserError(description + ": a checker needs \"inputShape\" [c, h, w] and \"classes\"");
            }
            // The description's own faults first, then the network it names.
            Path onnx = description.resolveSibling(json.path("file").asText());
            String onnxProblem = InputFile.problem(onnx, "an ONNX model");
            if (onnxProblem != null) {
                throw new UserError(description + ": cannot read the checker's network " + onnx + " (" + onnxProblem + ")");
            }
            return new Checker(json.path("id").asText(description.getFileName().toString()), List.copyOf(classes), space,
                    shape.get(0).asInt(), shape.get(1).asInt(), shape.get(2).asInt(), OnnxReader.read(onnx));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new UserError(description + ": cannot read the checker (not UTF-8 text: a checker description is JSON)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // the parser's own message goes on to a second line saying where; the first says what
            throw new UserError(description + ": cannot read the checker (not JSON: " + UserError.why(e) + ")");
        } catch (IOException | IllegalArgumentException e) {
            throw new UserError(description + ": cannot read the checker (" + e.getMessage() + ")");
        }
    }

    public String id() {
        return id;
    }

    public List<String> classes() {
        return classes;
    }

    /** Whether it judges pictures of this shape. */
    public boolean takes(int c, int h, int w) {
        return c == channels && h == height && w == width;
    }

    /**
     * The class it sees in each picture (display values, planar {@code c*h*w}, in [0, 1]).
     *
     * @throws UserError when the pictures are not the shape it takes
     */
    public int[] classify(List<float[]> pictures, int c, int h, int w) {
        if (!takes(c, h, w)) {
            throw new UserError("checker " + id + " takes " + channels + "x" + height + "x" + width + " pictures, not "
                    + c + "x" + h + "x" + w);
        }
        Network net = graph.compile(DataType.FLOAT, pictures.size(), new long[] {c, h, w});
        float[] flat = new float[pictures.size() * c * h * w];
        for (int i = 0; i < pictures.size(); i++) {
            System.arraycopy(pictures.get(i), 0, flat, i * c * h * w, c * h * w);
        }
        net.input().assign(input.toInput(Nd4j.create(flat, new long[] {pictures.size(), c, h, w})));
        String output = net.layers().get(net.layers().size() - 1).name();
        net.forward(List.of(output));
        INDArray logits = net.output(output);
        int[] predicted = new int[pictures.size()];
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = logits.getRow(i).argMax().getInt(0);
        }
        return predicted;
    }
}
