from setuptools import setup

setup(
    name="worker",
    install_requires=[
        "asyncpg>=0.29",
        'requests',
    ],
    extras_require={"cache": ["redis"]},
)
