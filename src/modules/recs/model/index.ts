export { engagementScale, itemCounts, trainModel, type TrainingData, type TrainProgress } from './train.js';
export { RecModel, type ItemGraph, type FoldInParams, type RecModelParts } from './rec-model.js';
export { DEFAULT_MODEL_PARAMS, resolveParams, type ModelParams } from './params.js';
export { easeFoldIn, easeGraph, easeWeights, positivesByUser, trainEaseModel, type EaseSetting, type EaseWeights } from './ease-graph.js';
