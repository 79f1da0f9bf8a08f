package io.filterscope.model.keras;

/**
 * Where a configuration comes from, where the same name means different things: Keras 3 defines the hard
 * sigmoid as relu6(x + 3) / 6 (Keras 2 and TF.js: clip(0.2 x + 0.5)); TF.js resizes bilinearly without
 * half-pixel centres (TensorFlow 2's Keras with them).
 */
enum KerasDialect {
    KERAS2, KERAS3, TFJS;

    static KerasDialect ofVersion(String kerasVersion) {
        return kerasVersion != null && kerasVersion.matches("3(\\..*)?") ? KERAS3 : KERAS2;
    }
}
