package org.forward4j.cli.finetune;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The experiment as resolved from the options: what {@link Finetune} runs and {@link Summary} describes.
 *
 * @param models models of the main comparison
 * @param gridModels models of the grid (empty: no grid)
 * @param perModel each model's fine-tuning settings
 * @param seeds seeds per method
 * @param firstSeed the first seed (also draws the shots)
 * @param shots rows per class
 * @param testLimit test rows
 * @param batchSize rows per step
 * @param uniformFactor how far beyond N uniform trains
 * @param headLearningRate the linear probe's learning rate
 * @param gridSeeds seeds per grid cell
 * @param gridLearningRates grid learning rates
 * @param gridQueries grid queries per point
 * @param gridEpochs epochs of the grid runs, or null for each model's epochs
 * @param cache pretrained-model cache
 * @param common settings of every fine-tuning run
 */
record Plan(List<String> models, List<String> gridModels, Map<String, ModelPlan> perModel, int seeds, long firstSeed,
            int shots, int testLimit, int batchSize, int uniformFactor, double headLearningRate,
            int gridSeeds, List<Double> gridLearningRates, List<Integer> gridQueries, Integer gridEpochs, Path cache,
            Map<String, String> common) {

    /**
     * One model's settings.
     *
     * @param model cnn or vit
     * @param trainable the fine-tuned tensors
     * @param learningRate fine-tuning learning rate
     * @param epochs epochs up to N
     * @param queriesPerPoint queries per point of its forward methods
     * @param sigma lr's noise scale, or null for the estimator's default
     * @param pretraining how it is pretrained
     */
    record ModelPlan(String model, String trainable, double learningRate, int epochs, int queriesPerPoint,
                     Double sigma, Pretraining.Settings pretraining) {
    }
}
