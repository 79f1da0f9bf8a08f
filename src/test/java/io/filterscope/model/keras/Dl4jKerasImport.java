package io.filterscope.model.keras;

import java.nio.file.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;

/**
 * DL4J's own Keras import, kept only as a cross-check of FilterScope's reader on the files it can import
 * (it stopped growing years ago: no depthwise convolutions, no ReLU6, channels-last only).
 */
public final class Dl4jKerasImport {
    private Dl4jKerasImport() {
    }

    /** The file as DL4J imports it: a MultiLayerNetwork for Sequential, a ComputationGraph otherwise. */
    public static Model load(Path file, boolean sequential) throws Exception {
        // KerasModelImport leaves the HDF5 file open (it never closes its builder), and an HDF5 file still open
        // when the JVM exits crashes libhdf5's exit handler: so the builder, closed here.
        try (KerasModelBuilder builder = new KerasModel().modelBuilder().modelHdf5Filename(file.toString())
                .enforceTrainingConfig(false)) {
            return sequential ? builder.buildSequential().getMultiLayerNetwork() : builder.buildModel().getComputationGraph();
        }
    }
}
