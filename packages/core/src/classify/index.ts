export {
  type Classifier,
  defaultClassifier,
  errorCode,
  isFailure,
  type Verdict,
} from './classifier.js';
