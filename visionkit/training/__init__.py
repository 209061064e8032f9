"""Train, evaluate and export the local CNN (needs the ``train`` extra: TensorFlow, Keras).

Entry points, each in its own module so that importing one pulls in only what it needs:

* :func:`visionkit.training.train.train` - train an architecture, calibrate it, write
  the ``.keras`` model, per-epoch checkpoints and a model card;
* :func:`visionkit.training.evaluate.evaluate` - accuracy, per-class accuracy and
  confusion matrix of a ``.keras`` or ``.tflite`` model;
* :func:`visionkit.training.export.export_tflite` - LiteRT export with test-time view averaging
  and the calibration temperature built into the graph;
* :func:`visionkit.training.data.load_dataset` - decoded, cached datasets.

This package imports nothing itself: ``import visionkit`` must stay free of TensorFlow.
"""
