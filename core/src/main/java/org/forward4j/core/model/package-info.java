/**
 * Native models: multi-layer perceptrons (initialisation) and model files ({@link org.forward4j.core.model.ModelFile}:
 * the architecture and trained weights as safetensors, readable by other tools; {@link org.forward4j.core.model.Model}
 * is what it loads).
 */
package org.forward4j.core.model;
