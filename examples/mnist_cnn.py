"""The classic PyTorch MNIST example, with tinygrad_sgd: a two-convolution CNN trained with
SGD + momentum, then evaluated on the 10,000 test images.

    python examples/mnist_cnn.py --epochs 5 --batch-size 64 --lr 0.01 --momentum 0.9
    python examples/mnist_cnn.py --dataset fashion-mnist --limit 6000 --epochs 1

The whole lesson (model, loop, evaluation, figures) is in tinygrad_sgd/tutorials/mnist_cnn.py;
`tinygrad-sgd mnist` runs the same program.
"""
from tinygrad_sgd.tutorials.mnist_cnn import main

if __name__ == "__main__":
    main()
