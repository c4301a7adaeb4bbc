package org.forward4j.estimator;

/**
 * Clean evaluation results of parameters on a data set ({@link QueryEvaluator#evaluateClean}).
 *
 * @param loss mean loss (softmax cross-entropy for networks)
 * @param accuracy fraction of rows whose largest logit is the label; NaN for black-box objectives
 * @param rows rows evaluated (each is one evaluation query, counted apart from training queries)
 */
public record EvaluationMetrics(double loss, double accuracy, int rows) {
}
