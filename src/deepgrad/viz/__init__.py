"""deepgrad.viz: pictures of what a network does and how it trains (matplotlib optional).

- training: ``plot_history``, ``plot_histories``, ``confusion_matrix``, ``plot_confusion_matrix``,
  ``plot_misclassified`` (``plots.py``)
- the computational graph autodiff recorded, with values and gradients: ``graph`` (``graph.py``)
- vanishing gradients: ``GradientMonitor``, ``plot_gradient_norms`` (``gradients.py``)
- what a CNN sees: ``filter_grid``, ``feature_maps``, ``plot_filters``, ``plot_feature_maps`` (``cnn.py``)

matplotlib is imported only when a plot is drawn; everything else needs numpy only.
"""
from deepgrad.viz.cnn import feature_maps, filter_grid, plot_feature_maps, plot_filters, tile
from deepgrad.viz.gradients import GradientMonitor, layer_gradient_norms, plot_gradient_norms
from deepgrad.viz.graph import Graph, GraphNode, graph
from deepgrad.viz.plots import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_histories,
    plot_history,
    plot_misclassified,
)

__all__ = ["confusion_matrix", "plot_history", "plot_histories", "plot_confusion_matrix", "plot_misclassified",
           "graph", "Graph", "GraphNode", "GradientMonitor", "layer_gradient_norms", "plot_gradient_norms",
           "tile", "filter_grid", "feature_maps", "plot_filters", "plot_feature_maps"]
