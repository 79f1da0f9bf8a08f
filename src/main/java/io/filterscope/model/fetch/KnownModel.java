package io.filterscope.model.fetch;

import io.filterscope.engine.param.InputSpace;
import java.net.URI;
import java.util.List;

/**
 * One model {@code fetch-model} can download: the published file and its hash, and what the metadata beside
 * it says (input shape, how images become input, architecture, classes, licence).
 *
 * @param name the model's id in the models directory ({@code NAME.json})
 * @param fileName the published file name, kept as it is so that a hand-downloaded file fits
 * @param approxBytes the size, for the listing (the download itself goes by the server's Content-Length)
 * @param input how an image becomes the model's input (range, channel order, mean)
 * @param architecture for a weights-only file, the network the weights fill (null for a complete model)
 * @param labels the class names file, for a model with a classifier (null for convolutional layers only)
 */
public record KnownModel(String name, String description, String fileName, URI url, Checksum checksum,
                         long approxBytes, Format format, String architecture, List<Integer> inputShape,
                         InputSpace input, Labels labels,
                         String dataset, String licence) {

    public enum Format {
        /** Keras HDF5 weights, read by the Keras import into the architecture's network. */
        KERAS_H5("Keras HDF5 weights"),
        /** A DL4J ModelSerializer zip, which the models directory loads as it is. */
        DL4J_ZIP("DL4J model zip"),
        /** An ONNX model (graph and weights in one file), read by the ONNX reader. */
        ONNX("ONNX model");

        public final String description;

        Format(String description) {
            this.description = description;
        }
    }

    /** A class-names file published beside the weights, with {@code count} names. */
    public record Labels(String fileName, URI url, Checksum checksum, int count) {
    }
}
